using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Crayon.Native.Interop;

/// <summary>
/// Opaque C handles for managed objects. A handle is the address of a GCHandle; the live set is
/// kept so that a stale, foreign or already-freed pointer is reported as an error instead of
/// being dereferenced.
/// </summary>
internal static class Handles
{
    private static readonly ConcurrentDictionary<nint, byte> s_live = new();

    public static nint Create(object target)
    {
        nint h = GCHandle.ToIntPtr(GCHandle.Alloc(target));
        s_live[h] = 0;
        return h;
    }

    /// <summary>Resolves a handle to its object, or throws CrayonException(InvalidArgument).</summary>
    public static T Get<T>(nint handle, string what) where T : class
    {
        if (handle == 0)
            throw new CrayonException(Status.InvalidArgument, $"{what} is NULL");
        if (!s_live.ContainsKey(handle) || GCHandle.FromIntPtr(handle).Target is not T target)
            throw new CrayonException(Status.InvalidArgument, $"{what} is not a live handle of this kind (freed twice, or never created?)");
        return target;
    }

    /// <summary>Frees the handle and returns its object (for disposal), or null for NULL.</summary>
    public static T? Release<T>(nint handle, string what) where T : class
    {
        if (handle == 0) return null;
        T target = Get<T>(handle, what);
        if (!s_live.TryRemove(handle, out _)) return null; // another thread freed it first
        GCHandle.FromIntPtr(handle).Free();
        return target;
    }
}
