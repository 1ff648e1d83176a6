// README.md's code is compiled code: each ```cpp block of the README is the
// region between `// tour:begin` and `// tour:end` of one program in
// examples/tour/ (built and run as a test), dedented, and every such region
// appears in the README. Editing either side alone fails here.
// MEMVEC_SOURCE_DIR (a compile definition) is the source tree.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Lines = std::vector<std::string>;

const std::filesystem::path kSource = MEMVEC_SOURCE_DIR;

Lines read_lines(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) FAIL("cannot read " << p.string());
  Lines lines;
  for (std::string line; std::getline(in, line);) {
    line.erase(line.find_last_not_of(" \t\r") + 1);  // trailing blanks never matter
    lines.push_back(line);
  }
  return lines;
}

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  return first == std::string::npos ? std::string() : s.substr(first);
}

// The lines strictly between the one `// tour:begin` and the one
// `// tour:end`, with their common indentation removed; empty when the
// markers are missing, repeated or out of order.
Lines tour_region(const Lines& file) {
  std::vector<std::size_t> begins, ends;
  for (std::size_t i = 0; i < file.size(); ++i) {
    if (trimmed(file[i]) == "// tour:begin") begins.push_back(i);
    if (trimmed(file[i]) == "// tour:end") ends.push_back(i);
  }
  if (begins.size() != 1 || ends.size() != 1 || ends[0] <= begins[0] + 1) return {};
  Lines region(file.begin() + static_cast<std::ptrdiff_t>(begins[0]) + 1,
               file.begin() + static_cast<std::ptrdiff_t>(ends[0]));
  std::size_t indent = std::string::npos;
  for (const std::string& line : region)
    if (!line.empty()) indent = std::min(indent, line.find_first_not_of(' '));
  for (std::string& line : region) line.erase(0, std::min(indent, line.size()));
  return region;
}

// The bodies of the ```cpp fences of a Markdown file.
std::vector<Lines> cpp_blocks(const Lines& markdown) {
  std::vector<Lines> blocks;
  bool inside = false;
  for (const std::string& line : markdown) {
    if (!inside && line == "```cpp") {
      inside = true;
      blocks.emplace_back();
    } else if (inside && line == "```") {
      inside = false;
    } else if (inside) {
      blocks.back().push_back(line);
    }
  }
  return blocks;
}

// Whether `needle` occurs as consecutive lines of `hay`.
bool contains_run(const Lines& hay, const Lines& needle) {
  return !needle.empty() &&
         std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

bool in_some_block(const std::vector<Lines>& blocks, const Lines& region) {
  return std::any_of(blocks.begin(), blocks.end(),
                     [&](const Lines& block) { return contains_run(block, region); });
}

std::vector<std::filesystem::path> tour_sources() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(kSource / "examples" / "tour"))
    if (entry.path().extension() == ".cpp") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string joined(const Lines& lines) {
  std::string s;
  for (const std::string& line : lines) s += line + "\n";
  return s;
}

}  // namespace

TEST_CASE("readme: every tour snippet is the compiled code of examples/tour", "[readme]") {
  const std::vector<Lines> blocks = cpp_blocks(read_lines(kSource / "README.md"));
  const auto sources = tour_sources();
  REQUIRE(sources.size() >= 3);  // mem_vec, journal, store
  for (const auto& source : sources) {
    INFO(source.filename().string());
    const Lines region = tour_region(read_lines(source));
    REQUIRE_FALSE(region.empty());  // one `// tour:begin`, then one `// tour:end`
    INFO("not in a ```cpp block of README.md:\n" << joined(region));
    CHECK(in_some_block(blocks, region));
  }
}

TEST_CASE("readme: every ```cpp block of README.md is a tour snippet", "[readme]") {
  std::vector<Lines> regions;
  for (const auto& source : tour_sources()) regions.push_back(tour_region(read_lines(source)));
  for (const Lines& block : cpp_blocks(read_lines(kSource / "README.md"))) {
    INFO("README.md block, in no examples/tour/*.cpp region:\n" << joined(block));
    CHECK(std::find(regions.begin(), regions.end(), block) != regions.end());
  }
}

TEST_CASE("readme: the check finds a changed, missing or unmarked snippet", "[readme]") {
  const Lines source = {"int main() {", "  // tour:begin", "  int a = 1;", "",
                        "    a += 2;",  "  // tour:end",   "}"};
  const Lines region = tour_region(source);
  CHECK(region == Lines{"int a = 1;", "", "  a += 2;"});
  const std::vector<Lines> readme = cpp_blocks(
      {"text", "```cpp", "// before", "int a = 1;", "", "  a += 2;", "```", "```cpp", "x", "```"});
  REQUIRE(readme.size() == 2);
  CHECK(in_some_block(readme, region));
  CHECK_FALSE(in_some_block(readme, Lines{"int a = 1;", "", "  a += 3;"}));  // changed
  CHECK_FALSE(in_some_block(readme, Lines{"int a = 1;", "  a += 2;"}));      // a line dropped
  CHECK_FALSE(in_some_block(cpp_blocks({"```sh", "int a = 1;", "", "  a += 2;", "```"}),
                            region));  // not C++
  CHECK(tour_region({"// tour:end", "x", "// tour:begin"}).empty());
  CHECK(tour_region({"// tour:begin", "x", "// tour:end", "// tour:begin"}).empty());
  CHECK(tour_region({"int x;"}).empty());
}
