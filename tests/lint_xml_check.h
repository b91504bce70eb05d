// A strict XML 1.0 well-formedness check for tests of the JUnit output:
// one root element, properly nested and matching tags, quoted attribute
// values without '<' or a bare '&', only the predefined and numeric entity
// references, no control characters. Returns an empty string when the
// document is well formed, else what is wrong and at which offset. Also
// counts elements by name, so tests can check structure.
#pragma once

#include <cctype>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cutover::testing {

class XmlCheck {
 public:
  // `doc` must outlive the check.
  explicit XmlCheck(std::string_view doc) : s_(doc) {}

  std::string Run() {
    if (s_.substr(0, 5) == "<?xml") {
      size_t end = s_.find("?>");
      if (end == std::string_view::npos) return Fail("unterminated XML declaration");
      i_ = end + 2;
    }
    SkipSpace();
    if (!Element()) return error_;
    SkipSpace();
    if (i_ != s_.size()) return Fail("content after the root element");
    return {};
  }
  const std::map<std::string, int>& counts() const { return counts_; }
  // Attribute values of every element named `name`, in document order.
  std::vector<std::map<std::string, std::string>> Elements(const std::string& name) const {
    std::vector<std::map<std::string, std::string>> out;
    for (const auto& [n, attrs] : elements_) {
      if (n == name) out.push_back(attrs);
    }
    return out;
  }

 private:
  std::string Fail(const std::string& what) {
    error_ = what + " at offset " + std::to_string(i_);
    return error_;
  }
  void SkipSpace() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool NameChar(char c) const {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == ':';
  }
  std::string Name() {
    size_t start = i_;
    while (i_ < s_.size() && NameChar(s_[i_])) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }
  bool Text(char stop, std::string* out) {
    while (i_ < s_.size() && s_[i_] != stop) {
      char c = s_[i_];
      if (c == '<' && stop != '<') return Fail("'<' inside an attribute value").empty();
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        return Fail("control character").empty();
      }
      if (c == '&') {
        size_t semi = s_.find(';', i_);
        if (semi == std::string_view::npos) return Fail("bare '&'").empty();
        std::string_view ref = s_.substr(i_ + 1, semi - i_ - 1);
        static const std::map<std::string_view, char> kEntities = {
            {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
        auto it = kEntities.find(ref);
        if (it != kEntities.end()) {
          out->push_back(it->second);
        } else if (ref.size() >= 2 && ref[0] == '#') {
          out->push_back('?');
        } else {
          return Fail("unknown entity &" + std::string(ref) + ";").empty();
        }
        i_ = semi + 1;
        continue;
      }
      out->push_back(c);
      ++i_;
    }
    return true;
  }
  bool Element() {
    if (i_ >= s_.size() || s_[i_] != '<') return Fail("expected '<'").empty();
    ++i_;
    std::string name = Name();
    if (name.empty()) return Fail("element without a name").empty();
    std::map<std::string, std::string> attrs;
    while (true) {
      SkipSpace();
      if (i_ >= s_.size()) return Fail("unterminated start tag <" + name).empty();
      if (s_.substr(i_, 2) == "/>") {
        i_ += 2;
        ++counts_[name];
        elements_.emplace_back(name, attrs);
        return true;
      }
      if (s_[i_] == '>') {
        ++i_;
        break;
      }
      std::string attr = Name();
      if (attr.empty() || i_ >= s_.size() || s_[i_] != '=')
        return Fail("malformed attribute in <" + name).empty();
      ++i_;
      if (i_ >= s_.size() || s_[i_] != '"') return Fail("unquoted attribute value").empty();
      ++i_;
      std::string value;
      if (!Text('"', &value)) return false;
      if (i_ >= s_.size()) return Fail("unterminated attribute value").empty();
      ++i_;
      if (!attrs.emplace(attr, value).second) return Fail("duplicate attribute " + attr).empty();
    }
    ++counts_[name];
    elements_.emplace_back(name, attrs);
    while (true) {
      std::string text;
      if (!Text('<', &text)) return false;
      if (i_ >= s_.size()) return Fail("unclosed element <" + name + ">").empty();
      if (s_.substr(i_, 2) == "</") {
        i_ += 2;
        std::string close = Name();
        if (close != name) return Fail("</" + close + "> closes <" + name + ">").empty();
        SkipSpace();
        if (i_ >= s_.size() || s_[i_] != '>') return Fail("malformed end tag").empty();
        ++i_;
        return true;
      }
      if (!Element()) return false;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  std::string error_;
  std::map<std::string, int> counts_;
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> elements_;
};

}  // namespace cutover::testing
