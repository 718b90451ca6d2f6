// Settings declared once (VCML's property<T>): a table of fields per plain-data struct gives
// both the schema entry (type, range, meaning; the default is the struct member's own
// initialiser) and the code that reads the validated YAML value into the member. Chip variants
// (ChipConfig) and every experiment's typed Params are described this way, so a key is never
// listed twice by hand.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "emulator/config/schema.hpp"

namespace salvo::config {

template <typename S>
struct Field {
  std::string name;
  SchemaNode schema;
  std::function<void(S&, const YAML::Node&)> read;  // from the validated (resolved) node
};

template <typename S>
using Fields = std::vector<Field<S>>;

namespace detail {
// The defaults: one value-initialised S (a static, which also keeps GCC's
// -Wmaybe-uninitialized quiet about temporaries of structs with string members).
template <typename S>
const S& defaults() {
  static const S s = S();
  return s;
}
template <typename S, typename T>
std::function<void(S&, const YAML::Node&)> reader(T S::*member) {
  return [member](S& s, const YAML::Node& n) { s.*member = n.as<T>(); };
}
}  // namespace detail

// Numbers: the default is detail::defaults<S>().*member; min/max are inclusive (nullopt =
// unbounded).
template <typename S>
Field<S> field(std::string name, double S::*member, std::optional<double> min,
               std::optional<double> max, std::string doc) {
  return {std::move(name), Float(detail::defaults<S>().*member, min, max, std::move(doc)),
          detail::reader(member)};
}
template <typename S>
Field<S> field(std::string name, int S::*member, std::optional<long> min, std::optional<long> max,
               std::string doc) {
  return {std::move(name), Int(detail::defaults<S>().*member, min, max, std::move(doc)),
          detail::reader(member)};
}
template <typename S>
Field<S> field(std::string name, std::uint64_t S::*member, std::optional<long> min,
               std::optional<long> max, std::string doc) {
  return {std::move(name),
          Int(static_cast<long>(detail::defaults<S>().*member), min, max, std::move(doc)),
          detail::reader(member)};
}
template <typename S>
Field<S> field(std::string name, bool S::*member, std::string doc) {
  return {std::move(name), Bool(detail::defaults<S>().*member, std::move(doc)),
          detail::reader(member)};
}
template <typename S>
Field<S> field(std::string name, std::string S::*member, std::string doc) {
  return {std::move(name), String(detail::defaults<S>().*member, std::move(doc)),
          detail::reader(member)};
}
// One of `allowed` (the default detail::defaults<S>().*member must be one of them).
template <typename S>
Field<S> choice(std::string name, std::string S::*member, std::vector<std::string> allowed,
                std::string doc) {
  return {std::move(name), Enum(detail::defaults<S>().*member, std::move(allowed), std::move(doc)),
          detail::reader(member)};
}
// A list of numbers, its default detail::defaults<S>().*member (element: the schema of one element,
// e.g. Float(0, -1e3, 1e3, "Δt"); its own default is unused), at least min_items long.
std::string list_text(const std::vector<double>& values);  // "[1, -2.5]"
template <typename S>
Field<S> list(std::string name, std::vector<double> S::*member, std::size_t min_items,
              SchemaNode element, std::string doc) {
  return {
      std::move(name),
      List(std::move(element), list_text(detail::defaults<S>().*member), min_items, std::move(doc)),
      detail::reader(member)};
}
// A nested map filled by the fields of its own struct.
template <typename S, typename B>
Field<S> block(std::string name, B S::*member, Fields<B> fields, std::string doc) {
  std::vector<std::pair<std::string, SchemaNode>> children;
  for (const auto& f : fields) children.emplace_back(f.name, f.schema);
  return {std::move(name), Map(std::move(children), std::move(doc)),
          [member, fields = std::move(fields)](S& s, const YAML::Node& n) {
            for (const auto& f : fields) f.read(s.*member, n[f.name]);
          }};
}
// A list of maps, each filled by the fields of B (element doc: the map's meaning), at least
// min_items long.
template <typename S, typename B>
Field<S> list_of(std::string name, std::vector<B> S::*member, std::size_t min_items,
                 Fields<B> fields, std::string element_doc, std::string default_yaml,
                 std::string doc) {
  std::vector<std::pair<std::string, SchemaNode>> children;
  for (const auto& f : fields) children.emplace_back(f.name, f.schema);
  return {std::move(name),
          List(Map(std::move(children), std::move(element_doc)), std::move(default_yaml), min_items,
               std::move(doc)),
          [member, fields = std::move(fields)](S& s, const YAML::Node& n) {
            (s.*member).clear();
            for (const auto& element : n) {
              B b{};
              for (const auto& f : fields) f.read(b, element[f.name]);
              (s.*member).push_back(std::move(b));
            }
          }};
}
// Anything else: an explicit schema node and reader.
template <typename S>
Field<S> custom(std::string name, SchemaNode schema,
                std::function<void(S&, const YAML::Node&)> read) {
  return {std::move(name), std::move(schema), std::move(read)};
}

// The map schema of a table (extra: keys read elsewhere, e.g. an experiment's `name`).
template <typename S>
SchemaNode schema_of(const Fields<S>& fields, std::string doc = "",
                     std::vector<std::pair<std::string, SchemaNode>> extra = {}) {
  for (const auto& f : fields) extra.emplace_back(f.name, f.schema);
  return Map(std::move(extra), std::move(doc));
}

// Reads every field of a validated map into a default-constructed S.
template <typename S>
S read_fields(const Fields<S>& fields, const YAML::Node& resolved) {
  S s{};
  for (const auto& f : fields) f.read(s, resolved[f.name]);
  return s;
}

}  // namespace salvo::config
