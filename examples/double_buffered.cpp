// double_buffered: the seed's double-buffered store example, over two files.
//
// Two journals of 1 KiB (A and B) and a high-water mark at 40%: writes go
// to the active journal; when one leaves it at or past the mark, the live
// set (from memory, no disk read) is written into the other journal as one
// snapshot record under the next generation, and only then does that
// journal become active. The program writes keys, prints each switch
// ("A -> B", "B -> A", ...) and the keys after it, then closes the store,
// reopens the two files and shows every key again: a reopen takes the newest
// complete generation (never the wall clock, never "the file that has
// data"), so nothing is lost and nothing deleted comes back.
//
//   example_double_buffered          # uses <temp dir>/memvec_double_buffered_<pid>/, removed at
//   the end example_double_buffered my_dir   # or a directory you give, which is kept: run it twice
//                                    # and the second run starts from the first one's keys
//
// Errors are memvec::Error exceptions (a std::system_error) whose code()
// compares equal to a memvec::errc; a second process opening the same two
// files for writing gets errc::locked.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <memvec/kv.hpp>
#include <string>

namespace kv = memvec::kv;

namespace {

const char* name(int journal) { return journal == 0 ? "A" : "B"; }

// The keys and values, sorted (as_hashmap() iterates in no set order).
std::map<std::string, std::string> sorted(const kv::Index& index) {
  std::map<std::string, std::string> rows;
  for (const auto& [key, value] : index) rows.emplace(key, value.to_json());
  return rows;
}

void print_keys(const kv::DoubleBufferedMemMappedKV& store) {
  std::cout << "    keys:";
  for (const auto& [key, json] : sorted(store.as_hashmap())) std::cout << " " << key << "=" << json;
  std::cout << "\n";
}

}  // namespace

int main(int argc, char** argv) try {
  const bool keep = argc > 1;
  const std::filesystem::path dir =
      keep ? std::filesystem::path(argv[1])
           : std::filesystem::temp_directory_path() /
                 ("memvec_double_buffered_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path_a = dir / "store_a.kv";
  const auto path_b = dir / "store_b.kv";

  // The seed's settings: 1 KiB per journal, switch at 40% usage. The files
  // may grow when the live set needs more room (the standby is sized from
  // the live set, up to StoreOptions::max_size); compaction_room = 0 keeps
  // them small so that the switches show (by default a compaction leaves
  // 64 KiB of room, to spread the sync each compaction makes).
  const kv::StoreOptions options{
      .initial_size = 1024, .high_water_mark_ratio = 0.4, .compaction_room = 0};
  bool ok = true;
  kv::Index written;
  {
    auto store = kv::DoubleBufferedMemMappedKV::open(path_a, path_b, options);
    std::cout << "opened " << path_a.filename().string() << " + " << path_b.filename().string()
              << " in " << dir.string() << ": " << store.size() << " keys, journal "
              << name(store.active()) << " active, generation " << store.generation()
              << ", high-water mark " << store.high_water_mark() << " bytes\n";
    written = store.as_hashmap();

    for (int i = 0; i < 48; ++i) {
      const std::string key = "key_" + std::to_string(i % 6);
      const kv::Value value("value_" + std::to_string(i));
      const int before = store.active();
      store.set(key, value);
      written[key] = value;
      if (store.active() != before) {
        std::cout << "  write " << i << " (" << key << " = " << value << "): switch "
                  << name(before) << " -> " << name(store.active()) << ", generation "
                  << store.generation() << ", usage now "
                  << static_cast<int>(store.usage_ratio() * 100) << "%\n";
        print_keys(store);
        ok &= store.as_hashmap() == written;  // every key made it across
      }
    }
    store.erase("key_5");  // a delete is a record too; it survives the restart
    written.erase("key_5");
    std::cout << "after 48 writes and an erase: " << store.switch_count() << " switches, journal "
              << name(store.active()) << " active, " << store.size() << " keys; files "
              << std::filesystem::file_size(path_a) << " + " << std::filesystem::file_size(path_b)
              << " bytes\n";
    ok &= store.as_hashmap() == written;
  }  // closed: the journals stay in the two files

  {
    auto store = kv::DoubleBufferedMemMappedKV::open(path_a, path_b, options);
    std::cout << "reopened: journal " << name(store.active()) << " active (generation "
              << store.generation() << ", the newest complete one), " << store.size()
              << " keys, data loss: "
              << (store.recovery().loss == kv::DataLoss::none ? "none" : store.recovery().reason)
              << "\n";
    print_keys(store);
    const bool same = store.as_hashmap() == written;
    std::cout << "  every key preserved: " << (same ? "yes" : "NO") << "\n";
    ok &= same && !store.contains("key_5");
  }

  if (!keep) std::filesystem::remove_all(dir);
  std::cout << (ok ? "ok" : "FAILED") << "\n";
  return ok ? 0 : 1;
} catch (const memvec::Error& e) {
  std::cerr << "double_buffered: " << e.what() << "\n";
  return 1;
}
