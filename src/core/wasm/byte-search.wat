;; The two byte searches that reading JSONL spends its time in, sixteen bytes at a time with SIMD
;; and then byte by byte for the tail (src/core/byte-search.ts says why and how they are used):
;; - stringStop: the first byte in [p, end) that ends plain JSON string content, a control
;;   character (< 0x20), '"' or '\' (src/core/json-bytes.ts);
;; - newline: the first '\n' in [p, end), where a JSONL line ends (src/core/jsonl-parser.ts).
;; Both return `end` when there is none. Built into src/core/byte-search-wasm.ts by
;; scripts/build-wasm.js (test/unit/byte-search.test.ts checks that the two agree).
(module
  ;; 8 MiB: eight 1 MiB read buffers (src/core/byte-search.ts hands them out). Never grown, so
  ;; views of it are never detached.
  (memory (export "memory") 128 128)

  (func (export "stringStop") (param $p i32) (param $end i32) (result i32)
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
    (local.get $p)))
