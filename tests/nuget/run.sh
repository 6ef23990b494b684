#!/usr/bin/env bash
# The NuGet package as a .NET user meets it: a fresh console project in a temporary folder restores
# Crayon.NET from the local folder feed, builds, and checks its ids against ids computed without it
# (expected.py: the Python package's reference longest match, the npm tiktoken).
#
#   tests/nuget/run.sh build/nuget build/profiles build/tiktoken
#
# Needs $PY (a Python with the crayon package importable) and CRAYON_LIBRARY. The restore uses its
# own package folder, so a re-packed package of the same version is never taken from a stale cache;
# the package's one dependency (System.IO.Hashing) comes from the machine's NuGet cache when it is
# there, else from nuget.org.
set -euo pipefail
feed=$(cd "$1" && pwd); profiles=$(cd "$2" && pwd); tiktoken=$(cd "$3" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
py=${PY:-python3}
pkg=$(ls "$feed"/Crayon.NET.*.nupkg | head -1)
version=$(basename "$pkg" .nupkg); version=${version#Crayon.NET.}

work=$(mktemp -d /tmp/crayon-nuget.XXXXXX)
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export NUGET_PACKAGES="$work/packages"
unset CRAYON_PROFILE_DIR   # the consumer must find lite.dat where the package puts it

"$py" "$here/expected.py" "$profiles/lite.dat" "$work/expected.json"

cd "$work"
dotnet new console -n consumer -o app --framework net10.0 --no-restore >/dev/null
# Crayon.NET only from the local feed (a package of that name elsewhere must never win); anything
# else from the machine's NuGet cache (a folder feed) when there is one, else nuget.org.
cache="${NUGET_MACHINE_CACHE:-$HOME/.nuget/packages}"
cache_source=""; [ -d "$cache" ] && cache_source="<add key=\"machine-cache\" value=\"$cache\" />"
cache_mapping=""; [ -d "$cache" ] && cache_mapping="<packageSource key=\"machine-cache\"><package pattern=\"*\" /></packageSource>"
cat > app/nuget.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    $cache_source
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="local"><package pattern="Crayon.NET" /></packageSource>
    $cache_mapping
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
XML
cp "$here/consumer/Program.cs" app/Program.cs
cd app
dotnet add package Crayon.NET --version "$version" >add.log 2>&1 || { cat add.log; exit 1; }
dotnet build -c Release --nologo -v quiet -o out >build.log 2>&1 || { cat build.log; exit 1; }
test -f out/profiles/lite.dat || { echo "FAILED: the package did not copy profiles/lite.dat to the output"; exit 1; }
dotnet out/consumer.dll "$work/expected.json" "$tiktoken"
