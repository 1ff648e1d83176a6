// ScratchDir: the tour programs run inside a fresh directory of their own
// (mkdtemp under the system temp dir), so the README snippets can use plain
// file names ("points.mv", "app.kv") and several tours, or several runs of
// one, can run in parallel as tests. The destructor goes back to the
// previous working directory and removes the scratch one with its files.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace tour {

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name) : previous_(std::filesystem::current_path()) {
    std::string templ = (std::filesystem::temp_directory_path() / (name + "-XXXXXX")).string();
    if (::mkdtemp(templ.data()) == nullptr)
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + templ);
    path_ = templ;
    std::filesystem::current_path(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::current_path(previous_, ec);
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

 private:
  std::filesystem::path previous_;
  std::filesystem::path path_;
};

}  // namespace tour
