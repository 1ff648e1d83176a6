// KVJournal<B>: a crash-resilient key-value journal in a MemVec<std::byte, B>.
//
// Every write appends one checksummed record (record.hpp) to the log and then
// publishes the MemVec length: the length store is the commit. Opening
// replays the log once into an in-memory index of where each live key's
// value lies in the log (a 16-byte slot a key, no copy of keys or values): get()
// decodes the value in place, find() views it without decoding.
//
// Durability (JournalOptions::durability): process_crash (default) survives
// any process crash with no syscall per write; power_loss makes each commit
// durable before it returns, with one flush of the header and the new record
// together, so every returned write survives power loss. (MemVec orders two
// flushes, elements then length, because its elements carry no checksum; a
// record does, so a power cut inside the one flush can at worst tear the
// record in flight, which never returned: reopen drops it and reports it.)
// Without power_loss, a power cut reopens to a valid prefix and recovery()
// says how much was dropped.
//
// Errors: bad options, keys that are not UTF-8, NaN/infinite numbers throw
// errc::invalid_argument; a write that does not fit (fixed backend, max_size)
// throws errc::capacity_exceeded; any failed write leaves the journal exactly
// as it was and usable. Opening never writes: damage inside the committed log
// is reported by recovery(). The first write (or clear) after open() zeroes
// every byte past the valid prefix, makes the zeros durable, and cuts the log
// back to that prefix before appending: nothing from a damaged tail, nor a
// record whose commit a power cut lost, can ever be read again.
//
// Thread-safety: like a std container; DoubleBufferedKV adds locking. The
// ValuePtr from find() views the mapping: valid until the next write, clear
// or move (a write may grow and move the mapping). as_hashmap() is a decoded
// copy, yours to keep.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "memvec/file_backend.hpp"
#include "memvec/kv/journal_meta.hpp"
#include "memvec/kv/options.hpp"
#include "memvec/kv/record.hpp"
#include "memvec/kv/value.hpp"
#include "memvec/kv/value_view.hpp"
#include "memvec/mem_vec.hpp"

namespace memvec::kv {

template <Backend B>
class DoubleBufferedKV;

template <Backend B>
class KVJournal {
 public:
  using Log = MemVec<std::byte, B, kJournalTypeTag>;

  static KVJournal create(B backend, JournalOptions options = {}, std::uint64_t generation = 1) {
    return create_or_return(backend, options, generation);
  }
  // create(), except that a failure hands the backend back in `backend` (its
  // bytes possibly changed): the store's compaction keeps its standby file.
  static KVJournal create_or_return(B& backend, JournalOptions options = {},
                                    std::uint64_t generation = 1) {
    detail::ratio_ppm(options.high_water_mark_ratio, "high_water_mark_ratio");  // before a write
    detail::check_generation(generation);
    const JournalMeta meta{kJournalFormatVersion, generation, detail::now_unix_ns()};
    const auto area = detail::encode_meta(meta);
    Log log = Log::create_or_return(backend, {options.durability, area});
    try {
      // A random first epoch: re-creating a journal over its own old bytes
      // with the same generation (a standby re-made after a lost header,
      // create() over an old journal) must not let the old records validate.
      log.set_user_word(detail::random_epoch());
    } catch (...) {
      backend = std::move(log).release_backend();
      throw;
    }
    // Replaying an empty log allocates nothing: this cannot throw.
    KVJournal j(std::move(log), options, meta);  // the format is synced under power_loss
    j.tail_clean_ = true;  // a fresh epoch: nothing past 0 can validate
    j.synced_ = false;     // nothing durable to protect yet
    return j;
  }
  static KVJournal open(B backend, JournalOptions options = {}) {
    return open(std::move(backend), options, true);
  }
  // What open() checks, without taking the backend: throws the same errc.
  static JournalMeta validate(const B& backend) {
    Log::validate(backend, true);
    return detail::decode_meta(
        std::span<const std::byte>(backend.data() + header_offset::kUserArea, kUserAreaSize),
        memvec::detail::backend_where(backend));
  }
  static KVJournal open_or_create(B backend, JournalOptions options = {}) {
    if (memvec::detail::is_blank({std::as_const(backend).data(), backend.size()}))
      return create(std::move(backend), options);
    return open(std::move(backend), options);
  }

  // --- writes: each is one record, committed when it returns ------------------
  // A null value erases, as in the seed design.
  void set(std::string_view key, const Value& value) {
    writer_.begin(kRecordBatch);
    writer_.add(key, value);
    commit();
  }
  void erase(std::string_view key) {
    writer_.begin(kRecordBatch);
    writer_.add_erase(key);
    commit();
  }
  // All of `items` in one atomic record; a null value erases; for a key given
  // twice the last one wins.
  void set_many(std::span<const std::pair<std::string, Value>> items) {
    writer_.begin(kRecordBatch);
    const std::vector<bool> superseded = detail::superseded(items);
    for (std::size_t i = 0; i < items.size(); ++i)
      if (!superseded[i]) writer_.add(items[i].first, items[i].second);
    commit();
  }
  void set_many(std::initializer_list<std::pair<std::string, Value>> items) {
    set_many(std::span<const std::pair<std::string, Value>>(items.begin(), items.size()));
  }
  // Writes the whole live set as one snapshot record: the first record of a
  // compacted journal, and the mark that its compaction finished.
  void write_snapshot(const Index& live) {
    writer_.begin(kRecordSnapshot);
    for (const auto& [key, value] : live) writer_.add(key, value);
    commit();
  }
  // Empties the journal: the length drops to 0 (the commit), then the epoch
  // moves on so no record from before can validate again. After a sync()
  // (or as the first clear of an opened journal) the new header is synced
  // too, before new records can overwrite the synced ones: otherwise a power
  // cut that kept those records but lost the header would reopen to a state
  // older than the sync.
  void clear() {
    if (!tail_clean_) [[unlikely]] clean_tail();
    log_.clear();
    next_epoch();
    index_.clear();
    if (synced_ || durability_ == Durability::power_loss) log_.sync_through(0);
    synced_ = false;
  }
  void sync() {
    log_.sync();
    synced_ = true;
  }
  Durability durability() const noexcept { return durability_; }

  // --- reads: the index says where, the value is decoded where it lies ----------
  std::optional<Value> get(std::string_view key) const {
    if (const ValuePtr v = find(key)) return v->decode();
    return std::nullopt;
  }
  // The value, or `fallback` when the key is absent: a default without an
  // optional to dereference (`get_or("timeout", 3).as_double()`).
  Value get_or(std::string_view key, Value fallback) const {
    if (const ValuePtr v = find(key)) return v->decode();
    return fallback;
  }
  ValuePtr find(std::string_view key) const noexcept {
    const std::size_t m = member_of(key);
    if (m == detail::LogIndex::kNone) return nullptr;
    std::string_view k;
    const std::size_t key_bytes = detail::read_trusted_string(log_.data() + m, k);
    return ValuePtr(ValueView(log_bytes().subspan(m + key_bytes)));
  }
  bool contains(std::string_view key) const noexcept {
    return member_of(key) != detail::LogIndex::kNone;
  }
  std::size_t size() const noexcept { return index_.size(); }
  bool empty() const noexcept { return index_.empty(); }
  // The live set decoded into a map of its own: a copy, costs a decode of
  // every value.
  Index as_hashmap() const {
    Index map;
    map.reserve(index_.size());
    for_each_member([&](std::uint64_t h, std::span<const std::byte> member) {
      std::string_view key;
      const std::size_t key_bytes = detail::read_trusted_string(member.data(), key);
      map.assign_hashed(key, h, ValueView(member.subspan(key_bytes)).decode());
    });
    return map;
  }
  // Calls fn(hash, encoded member) for each live key, in no set order: the
  // member's bytes are its key and value as the log holds them.
  template <class Fn>
  void for_each_member(Fn&& fn) const {
    const std::span<const std::byte> log = log_bytes();
    index_.for_each([&](std::uint64_t h, std::size_t m) { fn(h, member_bytes(log, m)); });
  }

  // --- space --------------------------------------------------------------------
  std::size_t used_bytes() const noexcept { return log_.size(); }
  std::size_t capacity_bytes() const noexcept { return log_.capacity(); }
  double usage_ratio() const noexcept {
    return log_.capacity() == 0 ? 1.0
                                : static_cast<double>(log_.size()) / static_cast<double>(log_.capacity());
  }
  std::size_t high_water_mark() const noexcept { return detail::apply_ppm(log_.capacity(), hwm_ppm_); }
  bool high_water_mark_triggered() const noexcept { return log_.size() >= high_water_mark(); }

  const Recovery& recovery() const noexcept { return recovery_; }
  // Size of the last record a write sealed: after a capacity_exceeded, the
  // room the failed write needed.
  std::size_t last_record_bytes() const noexcept { return writer_.size(); }
  // Whether the log opens with a valid snapshot record (see write_snapshot).
  bool starts_with_snapshot() const noexcept { return first_type_ == kRecordSnapshot; }
  const JournalMeta& meta() const noexcept { return meta_; }
  std::uint64_t generation() const noexcept { return meta_.generation; }
  std::uint64_t epoch() const noexcept { return log_.user_word(); }
  const Log& log() const noexcept { return log_; }
  void close()
    requires requires(Log& l) { l.close(); }
  {
    log_.close();
  }
  // The longest probe of the index (see detail::ProbeTable): for tests.
  std::size_t index_max_probe() const noexcept { return index_.max_probe(); }
  // Moves the backend out; the journal is left empty and unusable.
  B release_backend() && {
    index_.clear();
    return std::move(log_).release_backend();
  }

 private:
  // `indexed` false: only the header and the first record's frame are read
  // (starts_with_snapshot() by the frame alone), until build_index(): the
  // store's older journal, which it never reads unless it must take over.
  static KVJournal open(B backend, JournalOptions options, bool indexed) {
    detail::ratio_ppm(options.high_water_mark_ratio, "high_water_mark_ratio");
    // A log that lost its tail to a power cut (the length word reached the
    // disk, the file's new size did not) still holds a valid prefix: keep
    // it and report the rest, as for any damage inside the committed log.
    Log log = Log::open(std::move(backend), {Durability::process_crash, {}, true});
    const JournalMeta meta =
        detail::decode_meta(log.user_area(), memvec::detail::backend_where(log.backend()));
    return KVJournal(std::move(log), options, meta, indexed);
  }
  // Replays an unindexed journal now (the store's older journal taking over).
  void build_index() {
    if (!indexed_) load();
  }

  KVJournal(Log log, const JournalOptions& options, const JournalMeta& meta, bool indexed = true)
      : log_(std::move(log)),
        meta_(meta),
        options_(options),
        hwm_ppm_(detail::ratio_ppm(options.high_water_mark_ratio, "high_water_mark_ratio")),
        durability_(options.durability) {
    // The log itself never syncs: commit() makes a record durable with one
    // flush of its own (see the durability paragraph above).
    log_.set_durability(Durability::process_crash);
    seed_ = record_seed(meta_.generation, log_.user_word());
    if (indexed)
      load();
    else
      first_type_ = first_record_type(log_bytes());  // by its frame: see build_index()
  }

  // The replay: the index, the valid prefix, what was dropped.
  void load() {
    ReplayResult r = replay(log_bytes(), seed_, index_);  // const bytes: read-only safe
    indexed_ = true;
    valid_end_ = r.valid_end;
    first_type_ = r.first_type;
    recovery_ = std::move(r.recovery);
    if (log_.missing_on_open() > 0)
      detail::add_missing_tail(recovery_, log_.size(), log_.missing_on_open());
  }

  std::span<const std::byte> log_bytes() const noexcept { return {log_.data(), log_.size()}; }
  std::size_t member_of(std::string_view key) const noexcept {
    return index_.find(log_.data(), key, Index::hash(key));
  }

  void next_epoch() {
    // The 48-bit word wraps to 1 (0 is never an epoch): a clear() at the last
    // epoch must not fail after it already dropped the length.
    const std::uint64_t e = log_.user_word();
    log_.set_user_word(e >= kMaxWordValue ? 1 : e + 1);
    seed_ = record_seed(meta_.generation, log_.user_word());
  }

  // Seals the record in writer_ and appends it: the MemVec length store
  // inside append() is the commit. Everything before it may throw and leaves
  // the journal's contents as they were.
  void commit() { commit(writer_); }
  void commit(RecordWriter& writer) {
    if (!tail_clean_) [[unlikely]] clean_tail();
    const std::span<const std::byte> record = writer.finish(seed_);
    if (record.size() > log_.capacity() - log_.size()) [[unlikely]] grow_for(record.size());
    // Room in the index before the commit: after it nothing may fail.
    index_.reserve(index_.size() + writer.members().size());
    if (log_.empty()) first_type_ = static_cast<std::uint8_t>(record[record_offset::kType]);
    const std::size_t at = log_.size();
    log_.append(record);
    valid_end_ = log_.size();
    if (durability_ == Durability::power_loss) log_.sync_through(log_.size());
    // Committed: only now may the index point into the record (its room
    // was reserved above, so this cannot fail).
    index_members(index_, log_bytes(), at, writer.members());
  }

  // The first mutation after open(). Past the valid prefix may lie frames of
  // this very epoch: the damaged tail of a lossy open, or records whose
  // length store a power cut lost (a clean open reports nothing for those).
  // A new length over them, then a power cut that keeps the header but not
  // the new records, would replay them: two histories mixed. So every
  // non-zero byte past the prefix is zeroed and the zeros are made durable
  // before anything new is committed, then the length is cut back to the
  // prefix. The epoch stays: the prefix is sealed with it (a new epoch
  // would turn the surviving records into damage too). A crash in between
  // leaves the same prefix; the next writer does this again. Costs one scan
  // of the free room, and one sync when it found anything.
  void clean_tail();

  void grow_for(std::size_t bytes);

  // Data bytes the log may reach under max_size, in whole pages.
  std::size_t detail_max_data() const noexcept {
    if (options_.max_size == std::numeric_limits<std::size_t>::max()) return options_.max_size;
    const std::size_t pages = options_.max_size / page_size() * page_size();
    return pages > Log::kSpec.data_offset ? pages - Log::kSpec.data_offset : 0;
  }

  // DoubleBufferedKV's compaction encodes the live set once (it sizes the
  // standby from the encoding) and commits it here.
  template <Backend>
  friend class DoubleBufferedKV;
  // The store's compaction, into a journal create() just made. `durable`
  // (Durability::power_loss): the snapshot is made durable before its
  // length is published, then the header is synced, so a power cut leaves
  // nothing committed or a whole snapshot. Otherwise nothing is synced here:
  // the store flushes the whole journal later, off the writer's thread, and
  // never rewrites the journal this one replaces before that flush is done.
  void commit_snapshot(RecordWriter& snapshot, bool durable);

  Log log_;
  detail::LogIndex index_;
  RecordWriter writer_;
  Recovery recovery_;
  JournalMeta meta_;
  JournalOptions options_;
  std::uint32_t hwm_ppm_;
  Durability durability_;
  std::uint32_t seed_ = 0;
  std::size_t valid_end_ = 0;
  bool tail_clean_ = false;  // see clean_tail(); true once done, or after create()
  bool indexed_ = false;     // see open(backend, options, indexed)
  bool synced_ = true;       // see clear(): contents a sync() may have promised
  std::uint8_t first_type_ = 0;
};

using MemMappedKVJournal = KVJournal<FileBackend>;

}  // namespace memvec::kv

#include "memvec/kv/journal_impl.hpp"
