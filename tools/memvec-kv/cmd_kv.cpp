// `memvec-kv get | set | erase | keys`: the store's own verbs from the
// shell. Values are JSON on the command line and on stdout (parse_json /
// Value::to_json), so what `get` prints, `set` reads back to the same Value.
// Each write is one record, synced before the command returns; a file whose
// opening found damage is not written unless --force (the first write after
// such an open discards the damaged tail for good), and a damaged file is
// not read unless --allow-damaged (check_readable).
#include <algorithm>
#include <iostream>
#include <iterator>
#include <vector>

#include <memvec/kv.hpp>

#include "command.hpp"
#include "errors.hpp"
#include "json_parse.hpp"
#include "kv_handle.hpp"
#include "target.hpp"
#include "text_format.hpp"

namespace memvec_kv {
namespace {

namespace kv = memvec::kv;
using kv::Value;

// The positionals before the last `n` name the target (1 path or 2).
std::span<const std::string> target_paths(const Args& args, std::size_t n) {
  return std::span(args.positional()).first(args.positional().size() - n);
}

void refuse_if_damaged(const KvHandle& h, const Target& t, const Args& args) {
  const kv::Recovery r = h.recovery();
  if (r.loss == kv::DataLoss::none || args.flag("force")) return;
  throw Problem(t.name() + ": opening found damage (" + r.reason +
                "); a write would discard the damaged records for good. Run `memvec-kv verify`, "
                "back up the file, then pass --force to write anyway");
}

int run_get(const Args& args) {
  args.expect_positional(2, 3);
  const Target t = resolve_target(target_paths(args, 1), Access::read, false, "get");
  const KvHandle h(t, Access::read);
  check_readable(h, t, args, "get");
  const std::string& key = args.positional().back();
  const auto it = h.index().find(key);
  if (it == h.index().end()) throw Problem("no key " + json_string(key) + " in " + t.name());
  if (args.flag("raw") && it->second.is_string())
    std::cout << it->second.as_string() << "\n";
  else
    std::cout << it->second.to_json() << "\n";
  return kExitOk;
}

int run_set(const Args& args) {
  args.expect_positional(3, 4);
  const Target t = resolve_target(
      target_paths(args, 2), args.flag("create") ? Access::create : Access::write, false, "set");
  const std::string& key = args.positional()[args.positional().size() - 2];
  std::string text = args.positional().back();
  if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), {});
  Value value;
  if (args.flag("string")) {
    value = Value(text);
  } else {
    try {
      value = parse_json(text);
    } catch (const JsonError& e) {
      throw UsageError(std::string("VALUE is not JSON: ") + e.what() +
                       " (--string stores it as a string)");
    }
  }
  if (value.is_null()) throw UsageError("a null value erases the key: use `memvec-kv erase`");
  KvHandle h(t, Access::write);
  refuse_if_damaged(h, t, args);
  const std::pair<std::string, Value> item{key, std::move(value)};
  h.set_many({&item, 1});
  return kExitOk;
}

int run_erase(const Args& args) {
  args.expect_positional(2, 3);
  const Target t = resolve_target(target_paths(args, 1), Access::write, false, "erase");
  KvHandle h(t, Access::write);
  // Before the lookup: a key the damage dropped is not "no such key".
  refuse_if_damaged(h, t, args);
  const std::string& key = args.positional().back();
  if (h.index().find(key) == h.index().end()) {
    if (args.flag("missing-ok")) return kExitOk;
    throw Problem("no key " + json_string(key) + " in " + t.name() + " (nothing written)");
  }
  const std::pair<std::string, Value> item{key, Value()};
  h.set_many({&item, 1});
  return kExitOk;
}

int run_keys(const Args& args) {
  args.expect_positional(1, 2);
  const Target t = resolve_target(args.positional(), Access::read, false, "keys");
  const KvHandle h(t, Access::read);
  check_readable(h, t, args, "keys");
  const std::string prefix = args.value("prefix").value_or("");
  std::vector<const std::string*> keys;
  for (const auto& [key, value] : h.index())
    if (key.compare(0, prefix.size(), prefix) == 0) keys.push_back(&key);
  std::sort(keys.begin(), keys.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  if (args.flag("json")) {
    kv::Array a;
    a.reserve(keys.size());
    for (const std::string* k : keys) a.emplace_back(*k);
    std::cout << Value(std::move(a)).to_json() << "\n";
  } else {
    for (const std::string* k : keys) std::cout << *k << "\n";
  }
  return kExitOk;
}

constexpr OptionSpec kGetOptions[] = {{"raw", false}, {"allow-damaged", false}};
constexpr OptionSpec kSetOptions[] = {{"string", false}, {"create", false}, {"force", false}};
constexpr OptionSpec kEraseOptions[] = {{"missing-ok", false}, {"force", false}};
constexpr OptionSpec kKeysOptions[] = {
    {"json", false}, {"prefix", true}, {"allow-damaged", false}};

}  // namespace

extern const Command kGetCommand{
    "get",
    "print one key's value as JSON",
    "usage: memvec-kv get [--raw] [--allow-damaged] TARGET KEY\n\n"
    "Prints KEY's value as JSON (Value::to_json: integers exact, doubles in the\n"
    "shortest form that reads back exactly). A damaged TARGET is refused: what\n"
    "opening kept is an older state, never printed as if current.\n\n"
    "  --raw            print a string value bare, without quotes or escapes\n"
    "  --allow-damaged  answer from what opening kept, with a warning on stderr\n",
    TargetHelp::journal_or_store,
    "Exit status: 0 found, 1 no such key, TARGET damaged (without --allow-damaged), or\n"
    "not a journal/store, 2 usage error.\n",
    kGetOptions,
    run_get};

extern const Command kSetCommand{
    "set",
    "set one key to a JSON value (one synced record)",
    "usage: memvec-kv set [--string] [--create] [--force] TARGET KEY VALUE\n\n"
    "Sets KEY to VALUE, a JSON text (\"-\" reads it from stdin): 42 is an int64,\n"
    "18446744073709551615 a uint64, 1.5 / -0.0 / 5e-324 doubles, \"x\" a string,\n"
    "[...] an array, {...} an object. One record, synced before the command returns.\n\n"
    "  --string  store VALUE itself as a string (no JSON parsing)\n"
    "  --create  create TARGET (a journal file, or a store for A B / DIR) if missing\n"
    "  --force   write even though opening found damage (it is then discarded)\n",
    TargetHelp::journal_or_store,
    "Exit status: 0 written, 1 a problem (damage, not a journal/store), 2 usage error\n"
    "(VALUE is not JSON, or is null: use erase).\n",
    kSetOptions,
    run_set};

extern const Command kEraseCommand{
    "erase",
    "erase one key (one synced record)",
    "usage: memvec-kv erase [--missing-ok] [--force] TARGET KEY\n\n"
    "Erases KEY: one record, synced before the command returns. An absent key writes\n"
    "nothing.\n\n"
    "  --missing-ok  an absent key is not an error\n"
    "  --force       write even though opening found damage (it is then discarded)\n",
    TargetHelp::journal_or_store,
    "Exit status: 0 erased, 1 no such key (or another problem), 2 usage error.\n",
    kEraseOptions,
    run_erase};

extern const Command kKeysCommand{
    "keys",
    "list the live keys, sorted",
    "usage: memvec-kv keys [--json] [--prefix P] [--allow-damaged] TARGET\n\n"
    "Lists the live keys in byte order, one per line. A damaged TARGET is refused:\n"
    "what opening kept is an older state, never listed as if current.\n\n"
    "  --json           one JSON array instead (safe for keys holding newlines)\n"
    "  --prefix P       only the keys that start with P\n"
    "  --allow-damaged  list what opening kept, with a warning on stderr\n",
    TargetHelp::journal_or_store,
    "Exit status: 0 ok, 1 a problem (TARGET damaged without --allow-damaged, not a\n"
    "journal/store), 2 usage error.\n",
    kKeysOptions,
    run_keys};

}  // namespace memvec_kv
