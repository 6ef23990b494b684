#!/usr/bin/env bash
# The NuGet package as a .NET user meets it: a fresh console project in a temporary folder restores
# Crayon.NET from the local folder feed, builds, and checks its ids against ids computed without it
# (expected.py: the Python package's reference longest match, the npm tiktoken).
#
#   tests/nuget/run.sh build/nuget build/profiles build/tiktoken
#
# Needs $PY (a Python with the crayon package importable), and CRAYON_LIBRARY. The restore uses its
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
# Crayon.NET only from the local feed (a package of that name elsewhere must never win). Its
# dependencies come from the machine's NuGet cache (a folder feed) when it holds them all, so the
# test needs no network; else from nuget.org.
cache="${NUGET_MACHINE_CACHE:-$HOME/.nuget/packages}"
others='<add key="nuget.org" value="https://api.nuget.org/v3/index.json" />'
others_key=nuget.org
have_all=1
deps=$("$py" -c 'import re, sys, zipfile
spec = zipfile.ZipFile(sys.argv[1]).read("Crayon.NET.nuspec").decode()
print(" ".join(f"{i}/{v}" for i, v in re.findall(r"<dependency id=\"([^\"]+)\" version=\"([^\"]+)\"", spec)))' "$pkg")
for dep in $deps; do
  id=${dep%/*}; ver=${dep#*/}; lid=$(echo "$id" | tr 'A-Z' 'a-z')
  [ -f "$cache/$lid/$ver/$lid.$ver.nupkg" ] || have_all=0
done
if [ "$have_all" = 1 ]; then others="<add key=\"machine-cache\" value=\"$cache\" />"; others_key=machine-cache; fi
cat > app/nuget.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    $others
  </packageSources>
  <packageSourceMapping>
    <packageSource key="local"><package pattern="Crayon.NET" /></packageSource>
    <packageSource key="$others_key"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
XML
cp "$here/consumer/Program.cs" app/Program.cs
cd app
dotnet add package Crayon.NET --version "$version" >add.log 2>&1 || { cat add.log; exit 1; }
dotnet build -c Release --nologo -v quiet -o out >build.log 2>&1 || { cat build.log; exit 1; }
test -f out/profiles/lite.dat || { echo "FAILED: the package did not copy profiles/lite.dat to the output"; exit 1; }
dotnet out/consumer.dll "$work/expected.json" "$tiktoken"
