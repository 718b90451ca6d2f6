// Schema pieces shared by experiments that describe a network on the chip: input spike
// sources on the host link and background generators, synapse blocks, recording.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "emulator/config/schema.hpp"

namespace salvo::experiments {

config::SchemaNode input_schema();       // one element of `inputs`
config::SchemaNode connection_schema();  // one element of `connections`
config::SchemaNode record_schema();      // the `record` map

}  // namespace salvo::experiments
