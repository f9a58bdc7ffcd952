;; The two byte searches that reading JSONL spends its time in, sixteen bytes at a time with SIMD
;; and then byte by byte for the tail (src/core/byte-search.ts says why and how they are used):
;; - stringStop: the first byte in [p, end) that ends plain JSON string content, a control
;;   character (< 0x20), '"' or '\' (src/core/json-bytes.ts);
;; - newline: the first '\n' in [p, end), where a JSONL line ends (src/core/jsonl-parser.ts).
;; Both return `end` when there is none. And on top of stringStop:
;; - validate: whether [p, end) is exactly one JSON value with optional whitespace around it,
;;   the same answer as src/core/json-bytes.ts's JavaScript validator, for bytes known to be
;;   valid UTF-8 (a byte >= 0x80 is string content; anywhere else it is an error). 1: valid,
;;   0: not, 2: nested deeper than the container stack holds (the caller then asks JavaScript). Built into src/core/byte-search-wasm.ts by
;; scripts/build-wasm.js (test/unit/byte-search.test.ts checks that the two agree).
(module
  ;; 8 MiB: eight 1 MiB read buffers (src/core/byte-search.ts hands them out), then 64 KiB:
  ;; validate's container stack (one byte per open container). Never grown, so views of it are
  ;; never detached.
  (memory (export "memory") 129 129)
  (global $stack i32 (i32.const 8388608))
  (global $stackSize i32 (i32.const 65536))

  (func $stringStop (export "stringStop") (param $p i32) (param $end i32) (result i32)
    (local $v v128)
    (local $mask i32)
    (local $c i32)
    (block $tail
      (loop $blocks
        (br_if $tail (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (local.set $v (v128.load align=1 (local.get $p)))
        (local.set $mask
          (i8x16.bitmask
            (v128.or
              (v128.or
                (i8x16.lt_u (local.get $v) (v128.const i8x16 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20 0x20))
                (i8x16.eq (local.get $v) (v128.const i8x16 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22)))
              (i8x16.eq (local.get $v) (v128.const i8x16 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c 0x5c)))))
        (if (local.get $mask)
          (then (return (i32.add (local.get $p) (i32.ctz (local.get $mask))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $blocks)))
    (block $done
      (loop $bytes
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.lt_u (local.get $c) (i32.const 0x20)))
        (br_if $done (i32.eq (local.get $c) (i32.const 0x22)))
        (br_if $done (i32.eq (local.get $c) (i32.const 0x5c)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $bytes)))
    (local.get $p))

  (func (export "newline") (param $p i32) (param $end i32) (result i32)
    (local $mask i32)
    (block $tail
      (loop $blocks
        (br_if $tail (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (local.set $mask
          (i8x16.bitmask
            (i8x16.eq (v128.load align=1 (local.get $p)) (v128.const i8x16 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a))))
        (if (local.get $mask)
          (then (return (i32.add (local.get $p) (i32.ctz (local.get $mask))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $blocks)))
    (block $done
      (loop $bytes
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (br_if $done (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x0a)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $bytes)))
    (local.get $p))

  ;; The first byte at or after p that is not JSON whitespace (space, tab, LF, CR), or end.
  (func $ws (param $p i32) (param $end i32) (result i32)
    (local $c i32)
    (block $done
      (loop $bytes
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done
          (i32.eqz
            (i32.or
              (i32.or (i32.eq (local.get $c) (i32.const 0x20)) (i32.eq (local.get $c) (i32.const 0x09)))
              (i32.or (i32.eq (local.get $c) (i32.const 0x0a)) (i32.eq (local.get $c) (i32.const 0x0d))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $bytes)))
    (local.get $p))

  ;; 1 for 0-9, a-f, A-F.
  (func $hex (param $c i32) (result i32)
    (i32.or
      (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10))
      (i32.lt_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 6))))

  ;; 1 for the bytes after a backslash that make a two-byte escape: " \ / b f n r t.
  (func $shortEscape (param $e i32) (result i32)
    (i32.or
      (i32.or
        (i32.or (i32.eq (local.get $e) (i32.const 0x22)) (i32.eq (local.get $e) (i32.const 0x5c)))
        (i32.or (i32.eq (local.get $e) (i32.const 0x2f)) (i32.eq (local.get $e) (i32.const 0x62))))
      (i32.or
        (i32.or (i32.eq (local.get $e) (i32.const 0x66)) (i32.eq (local.get $e) (i32.const 0x6e)))
        (i32.or (i32.eq (local.get $e) (i32.const 0x72)) (i32.eq (local.get $e) (i32.const 0x74))))))

  ;; Index after the string whose content starts at p (just after its opening quote), or -1.
  (func $string (param $p i32) (param $end i32) (result i32)
    (local $c i32)
    (local $e i32)
    (loop $content
      (local.set $p (call $stringStop (local.get $p) (local.get $end)))
      (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const -1))))
      (local.set $c (i32.load8_u (local.get $p)))
      (if (i32.eq (local.get $c) (i32.const 0x22)) (then (return (i32.add (local.get $p) (i32.const 1)))))
      ;; A raw control character, or an escape cut by the end.
      (if (i32.ne (local.get $c) (i32.const 0x5c)) (then (return (i32.const -1))))
      (if (i32.ge_u (i32.add (local.get $p) (i32.const 1)) (local.get $end)) (then (return (i32.const -1))))
      (local.set $e (i32.load8_u offset=1 (local.get $p)))
      (if (i32.eq (local.get $e) (i32.const 0x75))
        (then
          (if (i32.gt_u (i32.add (local.get $p) (i32.const 6)) (local.get $end)) (then (return (i32.const -1))))
          (if (i32.eqz
                (i32.and
                  (i32.and (call $hex (i32.load8_u offset=2 (local.get $p))) (call $hex (i32.load8_u offset=3 (local.get $p))))
                  (i32.and (call $hex (i32.load8_u offset=4 (local.get $p))) (call $hex (i32.load8_u offset=5 (local.get $p))))))
            (then (return (i32.const -1))))
          (local.set $p (i32.add (local.get $p) (i32.const 6))))
        (else
          (if (i32.eqz (call $shortEscape (local.get $e))) (then (return (i32.const -1))))
          (local.set $p (i32.add (local.get $p) (i32.const 2)))))
      (br $content))
    (unreachable))

  ;; The first byte at or after p that is not a digit, or end.
  (func $digits (param $p i32) (param $end i32) (result i32)
    (block $done
      (loop $bytes
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (br_if $done (i32.ge_u (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30)) (i32.const 10)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $bytes)))
    (local.get $p))

  ;; Index after the number starting at p (p < end), or -1: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  (func $number (param $p i32) (param $end i32) (result i32)
    (local $c i32)
    (local $from i32)
    (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x2d)) (then (local.set $p (i32.add (local.get $p) (i32.const 1)))))
    (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const -1))))
    (local.set $c (i32.load8_u (local.get $p)))
    (if (i32.eq (local.get $c) (i32.const 0x30))
      (then (local.set $p (i32.add (local.get $p) (i32.const 1))))
      (else
        (if (i32.ge_u (i32.sub (local.get $c) (i32.const 0x31)) (i32.const 9)) (then (return (i32.const -1))))
        (local.set $p (call $digits (i32.add (local.get $p) (i32.const 1)) (local.get $end)))))
    (if (i32.lt_u (local.get $p) (local.get $end))
      (then
        (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x2e))
          (then
            (local.set $from (i32.add (local.get $p) (i32.const 1)))
            (local.set $p (call $digits (local.get $from) (local.get $end)))
            (if (i32.eq (local.get $p) (local.get $from)) (then (return (i32.const -1))))))))
    (if (i32.lt_u (local.get $p) (local.get $end))
      (then
        (if (i32.eq (i32.or (i32.load8_u (local.get $p)) (i32.const 0x20)) (i32.const 0x65))
          (then
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (if (i32.lt_u (local.get $p) (local.get $end))
              (then
                (local.set $c (i32.load8_u (local.get $p)))
                (if (i32.or (i32.eq (local.get $c) (i32.const 0x2b)) (i32.eq (local.get $c) (i32.const 0x2d)))
                  (then (local.set $p (i32.add (local.get $p) (i32.const 1)))))))
            (local.set $from (local.get $p))
            (local.set $p (call $digits (local.get $p) (local.get $end)))
            (if (i32.eq (local.get $p) (local.get $from)) (then (return (i32.const -1))))))))
    (local.get $p))

  ;; See the header. Modes: 0 a value is expected (also: inside an array), 1 a key is expected
  ;; (also: inside an object), 2 a value has just ended. The stack holds 0 or 1 per open container.
  (func (export "validate") (param $i i32) (param $end i32) (result i32)
    (local $depth i32)
    (local $mode i32)
    (local $c i32)
    (local $top i32)
    (loop $next
      (local.set $i (call $ws (local.get $i) (local.get $end)))
      (if (i32.eq (local.get $mode) (i32.const 2))
        (then
          (if (i32.eqz (local.get $depth)) (then (return (i32.eq (local.get $i) (local.get $end)))))
          (if (i32.ge_u (local.get $i) (local.get $end)) (then (return (i32.const 0))))
          (local.set $c (i32.load8_u (local.get $i)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (local.set $top (i32.load8_u (i32.add (global.get $stack) (i32.sub (local.get $depth) (i32.const 1)))))
          (if (i32.eq (local.get $c) (i32.const 0x2c))
            (then
              (local.set $mode (local.get $top))
              (br $next)))
          (if (i32.or
                (i32.and (i32.eq (local.get $c) (i32.const 0x5d)) (i32.eqz (local.get $top)))
                (i32.and (i32.eq (local.get $c) (i32.const 0x7d)) (i32.eq (local.get $top) (i32.const 1))))
            (then
              (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
              (br $next)))
          (return (i32.const 0))))
      (if (i32.ge_u (local.get $i) (local.get $end)) (then (return (i32.const 0))))
      (local.set $c (i32.load8_u (local.get $i)))
      (if (i32.eq (local.get $mode) (i32.const 1))
        (then
          (if (i32.ne (local.get $c) (i32.const 0x22)) (then (return (i32.const 0))))
          (local.set $i (call $string (i32.add (local.get $i) (i32.const 1)) (local.get $end)))
          (if (i32.lt_s (local.get $i) (i32.const 0)) (then (return (i32.const 0))))
          (local.set $i (call $ws (local.get $i) (local.get $end)))
          (if (i32.ge_u (local.get $i) (local.get $end)) (then (return (i32.const 0))))
          (if (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x3a)) (then (return (i32.const 0))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (local.set $mode (i32.const 0))
          (br $next)))
      (local.set $mode (i32.const 2))
      (if (i32.eq (local.get $c) (i32.const 0x22))
        (then
          (local.set $i (call $string (i32.add (local.get $i) (i32.const 1)) (local.get $end)))
          (br_if $next (i32.ge_s (local.get $i) (i32.const 0)))
          (return (i32.const 0))))
      (if (i32.or (i32.eq (local.get $c) (i32.const 0x7b)) (i32.eq (local.get $c) (i32.const 0x5b)))
        (then
          (local.set $i (call $ws (i32.add (local.get $i) (i32.const 1)) (local.get $end)))
          ;; '{' + 2 is '}', '[' + 2 is ']': an empty container is a whole value.
          (if (i32.lt_u (local.get $i) (local.get $end))
            (then
              (if (i32.eq (i32.load8_u (local.get $i)) (i32.add (local.get $c) (i32.const 2)))
                (then
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $next)))))
          (if (i32.ge_u (local.get $depth) (global.get $stackSize)) (then (return (i32.const 2))))
          (local.set $mode (i32.eq (local.get $c) (i32.const 0x7b)))
          (i32.store8 (i32.add (global.get $stack) (local.get $depth)) (local.get $mode))
          (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
          (br $next)))
      ;; true, null, false: compared as little-endian words.
      (if (i32.eq (local.get $c) (i32.const 0x74))
        (then
          (if (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $end)) (then (return (i32.const 0))))
          (if (i32.ne (i32.load align=1 (local.get $i)) (i32.const 0x65757274)) (then (return (i32.const 0))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $next)))
      (if (i32.eq (local.get $c) (i32.const 0x6e))
        (then
          (if (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $end)) (then (return (i32.const 0))))
          (if (i32.ne (i32.load align=1 (local.get $i)) (i32.const 0x6c6c756e)) (then (return (i32.const 0))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $next)))
      (if (i32.eq (local.get $c) (i32.const 0x66))
        (then
          (if (i32.gt_u (i32.add (local.get $i) (i32.const 5)) (local.get $end)) (then (return (i32.const 0))))
          (if (i32.ne (i32.load align=1 (local.get $i)) (i32.const 0x736c6166)) (then (return (i32.const 0))))
          (if (i32.ne (i32.load8_u offset=4 (local.get $i)) (i32.const 0x65)) (then (return (i32.const 0))))
          (local.set $i (i32.add (local.get $i) (i32.const 5)))
          (br $next)))
      (local.set $i (call $number (local.get $i) (local.get $end)))
      (br_if $next (i32.ge_s (local.get $i) (i32.const 0)))
      (return (i32.const 0)))
    (unreachable)))
