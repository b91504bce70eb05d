// Schema fingerprint: a stable SHA-256 of the canonical schema model.
//
// Two models with the same objects and attributes have the same fingerprint
// whatever order their objects were read or listed in; the server version is
// not part of it. The canonical form is specified in docs/schema-json.md and
// must not change without bumping the schema JSON format version: snapshots
// and rehearsal evidence record fingerprints and compare them later.
#pragma once

#include <string>
#include <vector>

#include "driver/schema_model.h"

namespace cutover {

// The model's objects in canonical order, without copying them.
std::vector<const SchemaObject*> SortedObjects(const SchemaModel& model);
// The canonical text the fingerprint hashes.
std::string CanonicalForm(const SchemaModel& model);
// "sha256:" + hex digest of CanonicalForm(model).
std::string Fingerprint(const SchemaModel& model);

}  // namespace cutover
