// memvec: memory-mapped, typed, persistent containers. This header brings the
// storage layer: errors, the Backend concept, the four backends and MemVec.
// See each header's opening paragraph for its contract.
#pragma once

#include "memvec/anon_backend.hpp"
#include "memvec/backend.hpp"
#include "memvec/crc32c.hpp"
#include "memvec/error.hpp"
#include "memvec/file_backend.hpp"
#include "memvec/header.hpp"
#include "memvec/mapped_file_backend.hpp"
#include "memvec/mem_vec.hpp"
#include "memvec/span_backend.hpp"
#include "memvec/type_tag.hpp"
