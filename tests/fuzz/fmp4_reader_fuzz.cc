// libFuzzer target for the fMP4 reader: recorded files are read back after crashes and from disks
// we do not trust, so every entry point must survive arbitrary bytes.
// Seed corpus: tests/fuzz/corpus/fmp4_reader/ (regenerate with the fmp4_test WriteSeedCorpus test).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "media/fmp4_reader.h"

using namespace hearth::media::fmp4;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::uint8_t> input(data, size);

    auto init = parse_init_segment(input);
    if (init && init->size > size) {
        std::abort();  // the init segment cannot be larger than the bytes it came from
    }

    std::uint64_t valid = 0;
    auto fragments = scan_fragments(input, &valid);
    if (fragments) {
        if (!init || valid > size || valid < init->size) {
            std::abort();
        }
        std::uint64_t previous_end = init->size;
        for (const FragmentLocation& loc : *fragments) {
            if (loc.offset < previous_end || loc.size > size || loc.offset > size - loc.size) {
                std::abort();
            }
            previous_end = loc.offset + loc.size;
            // Shift a copy of each fragment found, by its own earliest time and by junk.
            std::vector<std::uint8_t> copy(data + loc.offset, data + loc.offset + loc.size);
            (void)shift_decode_times(copy, init->timescales, loc.earliest_us);
            (void)shift_decode_times(copy, init->timescales, loc.start_us - 1);
        }
        if (previous_end > valid) {
            std::abort();
        }
    }

    // The raw input as one fragment, with timescales that cover common track layouts.
    std::vector<std::uint8_t> copy(input.begin(), input.end());
    std::int64_t shift = size > 0 ? std::int64_t(data[0]) * 100'000 - 1'000'000 : 0;
    auto status = shift_decode_times(copy, {90000, 48000, 8000}, shift);
    if (!status && !std::equal(copy.begin(), copy.end(), input.begin())) {
        std::abort();  // errors must leave the bytes untouched
    }
    return 0;
}
