"""Whether bf16 autocast is used on the CPU: only where the CPU computes bf16 itself."""

from __future__ import annotations

from core.hardware import cpu_has_native_bf16


def cpuinfo(tmp_path, flags: str):
    path = tmp_path / flags.replace(" ", "_")  # one file per flag set: the answer is cached per file
    path.write_text(f"processor\t: 0\nmodel name\t: test\nflags\t\t: fpu sse2 {flags}\n\n", encoding="utf-8")
    return path


def test_native_bf16_is_read_from_the_cpu_flags(tmp_path):
    assert cpu_has_native_bf16(cpuinfo(tmp_path, "avx2 avx512f avx512_bf16"))
    assert cpu_has_native_bf16(cpuinfo(tmp_path, "avx2 amx_tile amx_bf16"))
    assert not cpu_has_native_bf16(cpuinfo(tmp_path, "avx2 fma f16c"))
    assert not cpu_has_native_bf16(cpuinfo(tmp_path, "avx512f avx512_bf16x"))  # whole flags only


def test_no_cpuinfo_means_fp32(tmp_path):
    assert not cpu_has_native_bf16(tmp_path / "missing")
