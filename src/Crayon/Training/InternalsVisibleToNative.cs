// The NativeAOT project's assembly is named "libcrayon" (not "Crayon.Native"), so the
// InternalsVisibleTo in Crayon.csproj does not reach it. (Duplicates of this attribute are harmless.)
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("libcrayon")]
