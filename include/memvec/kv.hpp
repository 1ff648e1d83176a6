// memvec::kv: Value, its BONJSON encoding, KVJournal and DoubleBufferedKV.
// See each header's opening paragraph for its contract.
#pragma once

#include "memvec/kv/bonjson.hpp"
#include "memvec/kv/double_buffered.hpp"
#include "memvec/kv/index.hpp"
#include "memvec/kv/journal.hpp"
#include "memvec/kv/options.hpp"
#include "memvec/kv/record.hpp"
#include "memvec/kv/store_policy.hpp"
#include "memvec/kv/value.hpp"
#include "memvec/kv/value_view.hpp"
#include "memvec/memvec.hpp"
