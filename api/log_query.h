// The part of a component's log a client asks for (GET
// /apis/vigil.io/v1/components/NAME/log, `vigil logs comp NAME`), and what
// it gets back. Query parameters: tailLines, sinceByte, limitBytes; the
// response is text/plain with the log's size in the X-Vigil-Log-Size header.
#ifndef VIGIL_API_LOG_QUERY_H_
#define VIGIL_API_LOG_QUERY_H_

#include <cstdint>
#include <string>

namespace vigil::api {

inline constexpr char kLogSizeHeader[] = "X-Vigil-Log-Size";

struct LogQuery {
  int64_t tail_lines = -1;        // >= 0: only the last this many lines
  int64_t since_byte = 0;         // start at this offset (follow: the size seen last)
  int64_t limit_bytes = 1 << 20;  // at most this many bytes (the newest)
};

struct LogChunk {
  std::string text;  // the bytes read
  int64_t size = 0;  // the log's size when read: the next since_byte
};

}  // namespace vigil::api

#endif  // VIGIL_API_LOG_QUERY_H_
