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
template <typename S, typename T>
std::function<void(S&, const YAML::Node&)> reader(T S::*member) {
  return [member](S& s, const YAML::Node& n) { s.*member = n.as<T>(); };
}
}  // namespace detail

// Numbers: the default is S{}.*member; min/max are inclusive (nullopt = unbounded).
template <typename S>
Field<S> field(std::string name, double S::*member, std::optional<double> min,
               std::optional<double> max, std::string doc) {
  return {std::move(name), Float(S{}.*member, min, max, std::move(doc)), detail::reader(member)};
}
template <typename S>
Field<S> field(std::string name, int S::*member, std::optional<long> min, std::optional<long> max,
               std::string doc) {
  return {std::move(name), Int(S{}.*member, min, max, std::move(doc)), detail::reader(member)};
}
template <typename S>
Field<S> field(std::string name, std::uint64_t S::*member, std::optional<long> min,
               std::optional<long> max, std::string doc) {
  return {std::move(name), Int(static_cast<long>(S{}.*member), min, max, std::move(doc)),
          detail::reader(member)};
}
template <typename S>
Field<S> field(std::string name, bool S::*member, std::string doc) {
  return {std::move(name), Bool(S{}.*member, std::move(doc)), detail::reader(member)};
}
template <typename S>
Field<S> field(std::string name, std::string S::*member, std::string doc) {
  return {std::move(name), String(S{}.*member, std::move(doc)), detail::reader(member)};
}
// One of `allowed` (the default S{}.*member must be one of them).
template <typename S>
Field<S> choice(std::string name, std::string S::*member, std::vector<std::string> allowed,
                std::string doc) {
  return {std::move(name), Enum(S{}.*member, std::move(allowed), std::move(doc)),
          detail::reader(member)};
}
// A list of numbers; `node` is its List(...) schema (element range, default, minimum length).
template <typename S>
Field<S> list(std::string name, std::vector<double> S::*member, SchemaNode node) {
  return {std::move(name), std::move(node), detail::reader(member)};
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
