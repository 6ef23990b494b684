"""The profile ("cartridge") registry: the names Crayon knows and where their .dat files are.

A profile is a compiled vocabulary (``<name>.dat``). The library resolves a name in its profile
directories, in order: each entry of ``$CRAYON_PROFILE_DIR`` (':'-separated), then the directories
next to libcrayon.so. This package appends its own bundled directory (``crayon/profiles``) to
``$CRAYON_PROFILE_DIR`` before the library loads, so an installed wheel finds its profiles and a
user's directory, listed first, can override them.

    >>> from crayon.core.profiles import PROFILES
    >>> sorted(PROFILES)
    ['arts_commerce', 'code', 'lite', 'multilingual', 'science']
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import _native
from ._calls import read_string


@dataclass(frozen=True)
class Profile:
    """A known profile: what it is for and what it was learned from."""

    name: str
    description: str
    sources: str


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("lite", "Speed and small footprint: general English prose.", "English prose"),
    Profile("science", "Reasoning: LaTeX, physics, graduate mathematics.", "scientific text"),
    Profile("code", "Syntax: Python, Rust, C/C++, JavaScript and shell.", "source code"),
    Profile("multilingual", "Global text: European languages, Chinese, Hindi and more.",
            "translations in many languages"),
    Profile("arts_commerce", "Business and letters: legal, finance, literature.",
            "legal, financial and literary text"),
)}


@dataclass(frozen=True)
class ProfileStatus:
    """One row of :func:`list_profiles`."""

    name: str
    description: str
    available: bool   # a .dat for this name is in one of the profile directories
    bundled: bool     # that .dat ships inside this package


def bundled_dir() -> Path:
    """The directory of the profiles shipped in this package (crayon/profiles)."""
    return Path(__file__).resolve().parent.parent / "profiles"


def available_profiles() -> list[str]:
    """Names of the profiles the library finds in its profile directories."""
    text = read_string(_native.lib().crayon_list_profiles)
    return [line for line in text.splitlines() if line]


def list_profiles() -> list[ProfileStatus]:
    """Every known profile, then any other profile found on disk, with its availability.

        >>> [p.name for p in list_profiles()][:5]
        ['lite', 'science', 'code', 'multilingual', 'arts_commerce']
    """
    found = available_profiles()
    bundled = {p.stem for p in bundled_dir().glob("*.dat")}
    rows = [ProfileStatus(p.name, p.description, p.name in found, p.name in bundled)
            for p in PROFILES.values()]
    rows += [ProfileStatus(name, "(not a registered profile)", True, name in bundled)
             for name in found if name not in PROFILES]
    return rows
