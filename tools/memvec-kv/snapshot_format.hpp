// The snapshot stream: a portable copy of a store's live key-value set,
// written by `export` and read by `import` (docs/FORMAT.md, "Snapshot
// stream"; the names below are the ones the document uses).
//
//   off  size  field
//     0     8  magic    kSnapshotMagic "\x89MVSNAP\n"
//     8     2  version  kSnapshotVersion (1), little-endian
//    10     2  flags    0 (reserved)
//    12        entries, each: tag kSnapshotEntryTag ('K'), u32 LE length,
//              then that many bytes: the key (a BONJSON string) and its value
//              (one BONJSON value, never null), in key byte order
//     ...      end: tag kSnapshotEndTag ('E'), u64 LE entry count, u32 LE
//              CRC32C of every byte of the stream before the CRC
//
// Why so: integers are little-endian by definition (written byte by byte,
// never memcpy'd) and values are BONJSON, which has no native-order fields,
// so a snapshot moves between machines of either byte order, unlike the
// journal files (docs/FORMAT.md "Byte order"). The length prefix lets a
// reader stream entries without decoding ahead; the trailing count and CRC
// make any truncation or damaged byte fail the whole import (nothing is
// applied before they check). Keys in byte order make one live set always
// give the same bytes. The whole stream is then optionally compressed
// (gzip or zstd), which is outside this format.
#pragma once

#include <cstddef>
#include <cstdint>

namespace memvec_kv {

inline constexpr std::uint8_t kSnapshotMagic[8] = {0x89, 'M', 'V', 'S', 'N', 'A', 'P', '\n'};
inline constexpr std::uint16_t kSnapshotVersion = 1;
inline constexpr std::size_t kSnapshotHeaderSize = 12;
inline constexpr std::uint8_t kSnapshotEntryTag = 0x4B;     // 'K'
inline constexpr std::uint8_t kSnapshotEndTag = 0x45;       // 'E'
inline constexpr std::size_t kSnapshotEntryHeaderSize = 5;  // tag + u32 length
inline constexpr std::size_t kSnapshotTrailerSize = 13;     // tag + u64 count + u32 crc
inline constexpr std::uint64_t kSnapshotMaxEntry = 0xFFFFFFFFu;

namespace snapshot_offset {
inline constexpr std::size_t kMagic = 0;
inline constexpr std::size_t kVersion = 8;
inline constexpr std::size_t kFlags = 10;
inline constexpr std::size_t kEntries = 12;
}  // namespace snapshot_offset

}  // namespace memvec_kv
