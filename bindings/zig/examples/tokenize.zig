//! tokenize.zig — tokenize a string with a named profile (or a .dat path), print ids and pieces,
//! check the round trip. Zig reads crayon.h itself (@cImport): no binding to maintain.
//!
//!   zig build-exe tokenize.zig -I $PREFIX/include -L $PREFIX/lib -lcrayon -lc -rpath $PREFIX/lib
//!   ./tokenize lite "Hello, crayons!"        # profile name or path to a .dat
//!
//! `make examples` builds it as build/c/tokenize_zig against build/native (Zig from `make zig`).
const std = @import("std");
const c = @cImport(@cInclude("crayon.h"));

// CRAYON_FAILED is INT64_MIN, which glibc spells with token pasting (__INT64_C) that translate-c
// does not follow; the value itself is fixed by the header.
const failed: i64 = std.math.minInt(i64);

const Error = error{Crayon} || std.mem.Allocator.Error;

/// Prints this thread's last failure the way the C++ example does and turns it into a Zig error.
fn fail(what: []const u8) Error {
    std.debug.print("error (status {d}): {s}: {s}\n", .{ c.crayon_last_status(), what, std.mem.span(c.crayon_last_error()) });
    return error.Crayon;
}

fn check(status: c_int, what: []const u8) Error!void {
    if (status != c.CRAYON_OK) return fail(what);
}

/// Token ids of text. Starts with one id per byte (enough unless an NFC profile lengthens the
/// text) and retries with the capacity a negative result names; crayon_tokenize_bound would
/// avoid the retry at three times the memory.
fn tokenize(allocator: std.mem.Allocator, vocab: *const c.crayon_vocab, text: []const u8) Error![]i32 {
    var ids = try allocator.alloc(i32, @max(text.len, 1));
    errdefer allocator.free(ids);
    while (true) {
        const n = c.crayon_tokenize(vocab, text.ptr, text.len, ids.ptr, ids.len);
        if (n == failed) return fail("crayon_tokenize");
        if (n >= 0) return allocator.realloc(ids, @intCast(n));
        ids = try allocator.realloc(ids, @intCast(-n));
    }
}

/// Bytes of ids, with the same retry: no bound is known for decode, so start from a guess of
/// four bytes per id (about the average) and grow to what a negative result names.
fn decode(allocator: std.mem.Allocator, vocab: *const c.crayon_vocab, ids: []const i32) Error![]u8 {
    var out = try allocator.alloc(u8, 4 * @max(ids.len, 1));
    errdefer allocator.free(out);
    while (true) {
        const n = c.crayon_decode(vocab, ids.ptr, ids.len, out.ptr, out.len);
        if (n == failed) return fail("crayon_decode");
        if (n >= 0) return allocator.realloc(out, @intCast(n));
        out = try allocator.realloc(out, @intCast(-n));
    }
}

fn run(allocator: std.mem.Allocator) !bool {
    const args = try std.process.argsAlloc(allocator);
    defer std.process.argsFree(allocator, args);
    const profile: [:0]const u8 = if (args.len > 1) args[1] else "lite";
    const text: []const u8 = if (args.len > 2) args[2] else "The quick brown fox jumps over the lazy dog.";
    const stdout = std.io.getStdOut().writer();

    var handle: ?*c.crayon_vocab = null;
    defer c.crayon_free(handle); // NULL is a no-op
    try check(c.crayon_vocab_create("auto", &handle), "crayon_vocab_create");
    const vocab = handle.?;
    try check(c.crayon_set_profile(vocab, profile.ptr), "crayon_set_profile");

    const ids = try tokenize(allocator, vocab, text);
    defer allocator.free(ids);
    stdout.print("crayon {s}: {d} tokens with profile {s} (vocabulary of {d}):\n", .{
        std.mem.span(c.crayon_version()), ids.len, profile, c.crayon_vocab_size(vocab),
    }) catch {};
    for (ids) |id| {
        const piece = try decode(allocator, vocab, &[_]i32{id});
        defer allocator.free(piece);
        const shown: u32 = @intCast(id); // ids are never negative; Zig prints a '+' on signed ints with a width
        if (std.unicode.utf8ValidateSlice(piece)) {
            stdout.print("  {d:6}  \"{s}\"\n", .{ shown, piece }) catch {};
        } else { // part of a character: show the bytes
            stdout.print("  {d:6}  \"{}\"\n", .{ shown, std.zig.fmtEscapes(piece) }) catch {};
        }
    }

    const back = try decode(allocator, vocab, ids);
    defer allocator.free(back);
    const round_trip = std.mem.eql(u8, back, text);
    stdout.print("round trip: {s}\n", .{if (round_trip) "ok" else "MISMATCH"}) catch {};

    // An id outside the vocabulary is an error with its own status, not garbage bytes.
    const bad = [_]i32{-1};
    var buf: [16]u8 = undefined;
    if (c.crayon_decode(vocab, &bad, bad.len, &buf, buf.len) != failed or c.crayon_last_status() != c.CRAYON_E_UNKNOWN_ID) {
        stdout.print("unknown id accepted\n", .{}) catch {};
        return false;
    }
    stdout.print("unknown id rejected (status {d}): {s}\n", .{ c.crayon_last_status(), std.mem.span(c.crayon_last_error()) }) catch {};
    return round_trip;
}

pub fn main() u8 {
    var gpa = std.heap.GeneralPurposeAllocator(.{}){};
    const ok = run(gpa.allocator()) catch false;
    if (gpa.deinit() == .leak) return 1; // the allocator reports what leaked
    return if (ok) 0 else 1;
}
