// vigil: the command-line client of Vigil (see cli/cli.h).
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return vigil::cli::RunVigil(args, {&std::cin, &std::cout, &std::cerr});
}
