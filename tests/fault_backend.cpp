#include "fault_backend.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <random>
#include <string>

#include "memvec/error.hpp"

namespace test {
namespace {

constexpr std::align_val_t kAlign{4096};

std::byte* allocate(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  auto* p = static_cast<std::byte*>(::operator new(bytes, kAlign));
  std::memset(p, 0, bytes);
  return p;
}

void release(std::byte* p) noexcept {
  if (p != nullptr) ::operator delete(p, kAlign);
}

}  // namespace

const char* to_string(CutMode mode) noexcept {
  switch (mode) {
    case CutMode::drop_unsynced:
      return "drop_unsynced";
    case CutMode::random_subset:
      return "random_subset";
    case CutMode::torn_page:
      return "torn_page";
    case CutMode::keep_all:
      return "keep_all";
  }
  return "?";
}

FaultDisk::FaultDisk(std::span<const std::byte> image, std::size_t limit)
    : durable_(image.begin(), image.end()), limit_(limit), page_(memvec::page_size()) {
  if (image.size() > limit_)
    throw memvec::Error(memvec::errc::capacity_exceeded, "FaultBackend: image over its limit");
  mem_ = allocate(image.size());
  if (!image.empty()) std::memcpy(mem_, image.data(), image.size());
  size_ = image.size();
}

FaultDisk::~FaultDisk() { release(mem_); }

void FaultDisk::resize(std::size_t bytes) {
  if (bytes > limit_)
    throw memvec::Error(memvec::errc::capacity_exceeded,
                        "FaultBackend: " + std::to_string(bytes) + " bytes over its limit of " +
                            std::to_string(limit_));
  if (on_resize) on_resize(*this, bytes);
  std::byte* fresh = allocate(bytes);  // may throw: nothing changed yet
  if (size_ > 0 && bytes > 0) std::memcpy(fresh, mem_, std::min(bytes, size_));
  release(mem_);
  mem_ = fresh;
  size_ = bytes;
  ++resizes_;
}

void FaultDisk::sync(std::size_t offset, std::size_t bytes) {
  if (on_sync) on_sync(*this, offset, bytes);
  ++syncs_;
  // fdatasync records the size, whatever range was asked for.
  durable_.resize(size_, std::byte{0});
  if (offset >= size_ || bytes == 0) return;
  const std::size_t first = offset / page_ * page_;
  const std::size_t end = std::min(size_, (offset + std::min(bytes, size_ - offset) + page_ - 1) /
                                              page_ * page_);
  std::memcpy(durable_.data() + first, mem_ + first, end - first);
}

void FaultDisk::sync_all() {
  durable_.assign(mem_, mem_ + size_);
}

std::vector<std::size_t> FaultDisk::dirty_pages() const {
  std::vector<std::size_t> out;
  const std::size_t pages = (size_ + page_ - 1) / page_;
  for (std::size_t p = 0; p < pages; ++p) {
    const std::size_t begin = p * page_;
    const std::size_t end = std::min(size_, begin + page_);
    if (end > durable_.size() ||
        std::memcmp(mem_ + begin, durable_.data() + begin, end - begin) != 0)
      out.push_back(p);
  }
  return out;
}

std::vector<std::byte> FaultDisk::cut_with(std::span<const std::size_t> written_back,
                                           std::optional<TornPage> torn, SizePolicy size) const {
  const std::size_t image_size = size == SizePolicy::volatile_size ? size_ : durable_.size();
  std::vector<std::byte> image(image_size, std::byte{0});
  if (const std::size_t n = std::min(image_size, durable_.size()); n > 0)
    std::memcpy(image.data(), durable_.data(), n);  // memcpy from null is UB even for 0
  // Only bytes that exist on both sides (the image and the mapping) can be
  // written back.
  const auto write_back = [&](std::size_t begin, std::size_t end) {
    end = std::min({end, image_size, size_});
    if (begin < end) std::memcpy(image.data() + begin, mem_ + begin, end - begin);
  };
  for (const std::size_t p : written_back) write_back(p * page_, (p + 1) * page_);
  if (torn) write_back(torn->page * page_, torn->page * page_ + torn->torn_at);
  return image;
}

std::vector<std::byte> FaultDisk::cut(const CutSpec& spec) const {
  const std::vector<std::size_t> dirty = dirty_pages();
  std::mt19937_64 rng(spec.seed);
  std::vector<std::size_t> chosen;
  std::optional<TornPage> torn;
  switch (spec.mode) {
    case CutMode::drop_unsynced:
      break;
    case CutMode::random_subset:
      for (const std::size_t p : dirty)
        if (rng() & 1) chosen.push_back(p);
      break;
    case CutMode::torn_page:
      if (!dirty.empty())
        torn = TornPage{dirty[rng() % dirty.size()], spec.torn_at == 0 ? page_ / 2 : spec.torn_at};
      break;
    case CutMode::keep_all:
      chosen = dirty;
      break;
  }
  return cut_with(chosen, torn, spec.size);
}

FaultBackend::FaultBackend(std::size_t bytes, std::size_t limit)
    : FaultBackend(std::vector<std::byte>(bytes), limit) {}

FaultBackend::FaultBackend(std::span<const std::byte> image, std::size_t limit)
    : disk_(new FaultDisk(image, limit)) {}

void FaultBackend::resize(std::size_t bytes) {
  if (!disk_) throw memvec::Error(memvec::errc::invalid_argument, "FaultBackend: moved-from");
  disk_->resize(bytes);
}

void FaultBackend::sync(std::size_t offset, std::size_t bytes) {
  if (!disk_) throw memvec::Error(memvec::errc::invalid_argument, "FaultBackend: moved-from");
  disk_->sync(offset, bytes);
}

}  // namespace test
