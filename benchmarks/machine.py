"""One line naming the CPU a benchmark ran on, for its header: figures from different CPUs are not
comparable (on 2026-12-07 a Zen 3 with 512 KiB of L2 per core put the 250k cartridges at 1.02x `lite`'s
speed where a Zen 4 with 1 MiB had 0.84-0.93x), so every table should say which one it came from."""
from __future__ import annotations

import os
from pathlib import Path


def _cpuinfo() -> dict[str, str]:
    info: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            key, sep, value = line.partition(":")
            if not sep:
                if info:
                    break   # the first processor's block is enough
                continue
            info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return info


def cache_size(level: int) -> str | None:
    """The size of cpu0's unified or data cache of that level ("512K"), from sysfs."""
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            if int((index / "level").read_text()) == level and (index / "type").read_text().strip() in ("Unified", "Data"):
                return (index / "size").read_text().strip()
        except (OSError, ValueError):
            continue
    return None


def describe() -> str:
    """e.g. "AMD EPYC (family 25, model 1), 2 cores, L2 512K per core, L3 32768K, AVX2, no AVX-512"."""
    info = _cpuinfo()
    flags = set(info.get("flags", "").split())
    parts = [f"{info.get('model name', 'unknown CPU')} (family {info.get('cpu family', '?')}, model {info.get('model', '?')})",
             f"{os.cpu_count()} cores"]
    if (l2 := cache_size(2)) is not None:
        parts.append(f"L2 {l2} per core")
    if (l3 := cache_size(3)) is not None:
        parts.append(f"L3 {l3}")
    if flags:
        parts.append("AVX2" if "avx2" in flags else "no AVX2")
        parts.append("AVX-512" if "avx512f" in flags else "no AVX-512")
    return ", ".join(parts)


if __name__ == "__main__":
    print(describe())
