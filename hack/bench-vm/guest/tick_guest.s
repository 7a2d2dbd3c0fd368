# The VM benchmark's guest: a 32-bit multiboot kernel that tells the outside
# it is serving. qemu loads it with -kernel (libvirt: <os><kernel>); it
# writes 'B' to COM1 once it runs, then '.' on every tick of the PIT at
# 1 kHz, halting in between. The domain's serial port sends each byte as a
# UDP datagram to the benchmark (see bench_vm_ticks.h), which so sees the
# guest serve the way an outside client would. Nothing else: no memory map,
# no paging, interrupts only from the timer.

        .set MB_MAGIC, 0x1BADB002
        .set MB_FLAGS, 0                # an ELF image: qemu reads its segments
        .set COM1, 0x3F8
        .set PIT_HZ, 1193182
        .set TICK_HZ, 1000

        .section .multiboot, "a"
        .align 4
        .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

        .text
        .code32
        .globl _start
_start:
        cli
        # The loader's GDT may be anywhere: use our own flat segments.
        lgdt gdt_pointer
        ljmp $0x08, $1f
1:      mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss
        mov $stack_top, %esp

        # IDT gate 0x20 (IRQ0 once the PIC is remapped) -> timer.
        mov $timer, %eax
        mov %ax, idt + 0x20 * 8
        movw $0x08, idt + 0x20 * 8 + 2
        movw $0x8E00, idt + 0x20 * 8 + 4    # present, ring 0, 32-bit interrupt gate
        shr $16, %eax
        mov %ax, idt + 0x20 * 8 + 6
        lidt idt_pointer

        # 8259 PICs: vectors 0x20/0x28, cascade on IRQ2, only IRQ0 unmasked.
        mov $0x11, %al
        out %al, $0x20
        out %al, $0xA0
        mov $0x20, %al
        out %al, $0x21
        mov $0x28, %al
        out %al, $0xA1
        mov $4, %al
        out %al, $0x21
        mov $2, %al
        out %al, $0xA1
        mov $1, %al
        out %al, $0x21
        out %al, $0xA1
        mov $0xFE, %al
        out %al, $0x21
        mov $0xFF, %al
        out %al, $0xA1

        # Local APIC: enabled, PIC interrupts through LINT0 as ExtINT. SeaBIOS
        # sets this up; qboot does not, and without it no tick arrives.
        movl $0x1FF, 0xFEE000F0
        movl $0x700, 0xFEE00350

        # PIT channel 0: rate generator at TICK_HZ.
        mov $0x34, %al
        out %al, $0x43
        mov $(PIT_HZ / TICK_HZ), %ax
        out %al, $0x40
        mov %ah, %al
        out %al, $0x40

        mov $COM1, %dx
        mov $'B', %al
        out %al, %dx
        sti
2:      hlt
        jmp 2b

timer:
        push %eax
        push %edx
        mov $COM1, %dx
        mov $'.', %al
        out %al, %dx
        mov $0x20, %al                  # end of interrupt
        out %al, $0x20
        pop %edx
        pop %eax
        iret

        .data
        .align 8
gdt:    .quad 0
        .quad 0x00CF9A000000FFFF        # 0x08: code, base 0, 4 GiB
        .quad 0x00CF92000000FFFF        # 0x10: data, base 0, 4 GiB
gdt_pointer:
        .word 3 * 8 - 1
        .long gdt
        .align 8
idt:    .fill 0x21, 8, 0
idt_pointer:
        .word 0x21 * 8 - 1
        .long idt

        .bss
        .align 16
        .skip 1024
stack_top:
