// tokenize.cpp — the C ABI from C++: a small RAII wrapper, errors as exceptions.
//
//   g++ -std=c++17 tokenize.cpp $(pkg-config --cflags --libs crayon) -o tokenize_cpp
//   ./tokenize_cpp lite "Hello, crayons!"        # profile name or path to a .dat
//
// The wrapper owns one crayon_vocab (move-only, freed in the destructor). Every failing call
// throws crayon::Error carrying crayon_last_status() and crayon_last_error(); the message is
// copied at once because the library's copy is only valid until this thread's next failure.
#include "crayon.h"

#include <cstdint>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crayon {

class Error : public std::runtime_error {
public:
    Error() : std::runtime_error(crayon_last_error()), status_(crayon_last_status()) {}
    int status() const noexcept { return status_; }

private:
    int status_;
};

class Vocab {
public:
    // A tokenizer whose active profile is `profile`: a name ("lite", "code") or a .dat path.
    explicit Vocab(const std::string &profile, const char *device = "auto") {
        if (crayon_vocab_create(device, &vocab_) != CRAYON_OK) throw Error();
        if (crayon_set_profile(vocab_, profile.c_str()) != CRAYON_OK) {
            Error e;                        // read the message before crayon_free can touch it
            crayon_free(vocab_);
            throw e;
        }
    }
    ~Vocab() { crayon_free(vocab_); }
    Vocab(Vocab &&other) noexcept : vocab_(std::exchange(other.vocab_, nullptr)) {}
    Vocab &operator=(Vocab &&other) noexcept {
        std::swap(vocab_, other.vocab_);
        return *this;
    }
    Vocab(const Vocab &) = delete;
    Vocab &operator=(const Vocab &) = delete;

    // Switch profiles in place; safe while other threads tokenize with this vocab.
    void set_profile(const std::string &profile) {
        if (crayon_set_profile(vocab_, profile.c_str()) != CRAYON_OK) throw Error();
    }

    std::int64_t size() const { return checked(crayon_vocab_size(vocab_)); }

    std::string profile_name() const {
        return fill_string([&](char *out, std::size_t cap) { return crayon_profile_name(vocab_, out, cap); });
    }

    // crayon_tokenize_bound always suffices, so one call and a shrink is enough.
    std::vector<std::int32_t> tokenize(std::string_view text) const {
        std::vector<std::int32_t> ids(crayon_tokenize_bound(text.size()));
        std::int64_t n = checked(crayon_tokenize(vocab_, text.data(), text.size(), ids.data(), ids.size()));
        ids.resize(static_cast<std::size_t>(n));
        return ids;
    }

    // The decoded size is not known in advance: guess, then retry once with the needed capacity.
    std::string decode(const std::vector<std::int32_t> &ids) const {
        std::string out(ids.size() * 4, '\0');
        for (;;) {
            std::int64_t n = checked(crayon_decode(vocab_, ids.data(), ids.size(), out.data(), out.size()));
            if (n >= 0) {
                out.resize(static_cast<std::size_t>(n));
                return out;
            }
            out.resize(static_cast<std::size_t>(-n));
        }
    }

private:
    // CRAYON_FAILED → exception; counts and "-needed" pass through.
    static std::int64_t checked(std::int64_t r) {
        if (r == CRAYON_FAILED) throw Error();
        return r;
    }

    template <class Fill>
    static std::string fill_string(Fill fill) {
        std::string out(64, '\0');
        for (;;) {
            std::int64_t n = checked(fill(out.data(), out.size()));
            if (n >= 0) {
                out.resize(static_cast<std::size_t>(n));   // drop the NUL the library wrote
                return out;
            }
            out.resize(static_cast<std::size_t>(-n));      // -n includes the NUL
        }
    }

    crayon_vocab *vocab_ = nullptr;
};

}  // namespace crayon

int main(int argc, char **argv) {
    const std::string profile = argc > 1 ? argv[1] : "lite";
    const std::string text = argc > 2 ? argv[2] : "The quick brown fox jumps over the lazy dog.";
    try {
        crayon::Vocab vocab(profile);
        std::vector<std::int32_t> ids = vocab.tokenize(text);
        std::cout << ids.size() << " tokens with profile " << vocab.profile_name() << " (vocabulary of "
                  << vocab.size() << "):\n";
        for (std::int32_t id : ids) std::cout << "  " << id << "  \"" << vocab.decode({id}) << "\"\n";
        std::cout << "round trip: " << (vocab.decode(ids) == text ? "ok" : "MISMATCH") << "\n";

        try {
            vocab.decode({-1});                 // an id no vocabulary has
            std::cout << "unknown id: NOT rejected\n";
            return 1;
        } catch (const crayon::Error &e) {
            std::cout << "unknown id rejected (status " << e.status() << "): " << e.what() << "\n";
        }
    } catch (const crayon::Error &e) {
        std::cerr << "error (status " << e.status() << "): " << e.what() << "\n";
        return 1;
    }
    return 0;
}
