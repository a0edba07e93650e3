#!/bin/sh
# Fails if an ISA-specific object (*_avx2, *_avx512*, *_amx) in the static library defines a weak
# or unique symbol: the linker could keep that AVX-512/AMX copy of an inline function for baseline
# callers too (see src/model/cpu/kernels_internal.h). DW.ref.* (EH personality pointers) are data
# and allowed. Usage: check_isa_objects.sh libodma_model_cpu.a
set -eu
lib="$1"
bad=0
for obj in $(ar t "$lib" | grep -E '_(avx2|avx512|avx512bf16|avx512vnni|amx|amx_emulated)\.cpp\.o$|_(avx2|avx512|avx512bf16|avx512vnni|amx)\.o$' || true); do
  case "$obj" in *amx_emulated*) continue ;; esac
  weak=$(nm -C --defined-only "$lib" 2>/dev/null | awk -v o="$obj:" '
    /^$/ {next} $0 ~ /:$/ {cur=$0; next} cur==o && ($2=="W" || $2=="V" || $2=="u") && $3 !~ /^DW\.ref\./ {print}')
  if [ -n "$weak" ]; then
    echo "check_isa_objects: $obj defines weak symbols (compiled with ISA flags):" >&2
    echo "$weak" >&2
    bad=1
  fi
done
[ "$bad" -eq 0 ] && echo "check_isa_objects: no weak symbols in ISA objects of $(basename "$lib")"
exit "$bad"
