;; The demo workload (src/compute/workloads/wasm.ts documents the ABI): a byte histogram and the
;; Adler-32 checksum of the input. Output, little-endian: u32 input length, u32 Adler-32, u32[256] counts
;; (1032 bytes). Built by scripts/build-wasm.js into demoWasm.ts.
(module
  (memory (export "memory") 1)
  ;; Output at [0, 1032); the bump allocator hands out memory from 2048 and grows it on demand.
  (global $heap (mut i32) (i32.const 2048))

  (func (export "alloc") (param $len i32) (result i32)
    (local $ptr i32) (local $need i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (local.get $ptr) (local.get $len)))
    ;; pages still missing: ceil(heap / 64 KiB) - memory.size
    (local.set $need
      (i32.sub (i32.shr_u (i32.add (global.get $heap) (i32.const 65535)) (i32.const 16)) (memory.size)))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then (if (i32.eq (memory.grow (local.get $need)) (i32.const -1)) (then unreachable))))
    (local.get $ptr))

  (func (export "output_ptr") (result i32) (i32.const 0))

  (func (export "run") (param $ptr i32) (param $len i32) (result i32)
    (local $i i32) (local $byte i32) (local $slot i32) (local $a i32) (local $b i32)
    ;; counts start at zero (fresh memory), but clear them anyway so a reused instance stays right
    (loop $clear
      (i32.store (i32.add (i32.const 8) (local.get $i)) (i32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $clear (i32.lt_u (local.get $i) (i32.const 1024))))
    (local.set $i (i32.const 0))
    (local.set $a (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $byte (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
        (local.set $slot (i32.add (i32.const 8) (i32.shl (local.get $byte) (i32.const 2))))
        (i32.store (local.get $slot) (i32.add (i32.load (local.get $slot)) (i32.const 1)))
        (local.set $a (i32.rem_u (i32.add (local.get $a) (local.get $byte)) (i32.const 65521)))
        (local.set $b (i32.rem_u (i32.add (local.get $b) (local.get $a)) (i32.const 65521)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.store (i32.const 0) (local.get $len))
    (i32.store (i32.const 4) (i32.or (i32.shl (local.get $b) (i32.const 16)) (local.get $a)))
    (i32.const 1032))
)
