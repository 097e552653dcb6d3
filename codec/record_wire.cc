// Ties record_wire.h's hand-written field numbers to the ones protoc
// generates from proto/record.proto: a field renumbered in the .proto and
// not in the direct writer and the strict reader fails the build here,
// rather than writing records that ParseRecord reads wrong.
#include "codec/record_wire.h"

#include "record.pb.h"

namespace sanji::codec::wire {
namespace {

using v1::RecordEntry;
using v1::RecordField;
using v1::RecordOrigin;
using v1::RecordState;

// As ints: the two sides are enums of different types.
constexpr bool Same(int written, int generated) { return written == generated; }

static_assert(Same(kOrigins, RecordState::kOriginsFieldNumber));
static_assert(Same(kContext, RecordState::kContextFieldNumber));
static_assert(Same(kScope, RecordState::kScopeFieldNumber));
static_assert(Same(kPresence, RecordState::kPresenceFieldNumber));
static_assert(Same(kDeletes, RecordState::kDeletesFieldNumber));
static_assert(Same(kFields, RecordState::kFieldsFieldNumber));
static_assert(Same(kFormerScopes, RecordState::kFormerScopesFieldNumber));

static_assert(Same(kNodeId, RecordOrigin::kNodeIdFieldNumber));
static_assert(Same(kIncarnation, RecordOrigin::kIncarnationFieldNumber));

static_assert(Same(kContextOrigin, RecordState::ContextEntry::kOriginFieldNumber));
static_assert(Same(kContextCounter, RecordState::ContextEntry::kCounterFieldNumber));

static_assert(Same(kEntryOrigin, RecordEntry::kOriginFieldNumber));
static_assert(Same(kEntryCounter, RecordEntry::kCounterFieldNumber));
static_assert(Same(kPhysicalMicros, RecordEntry::kPhysicalMicrosFieldNumber));
static_assert(Same(kLogical, RecordEntry::kLogicalFieldNumber));
static_assert(Same(kText, RecordEntry::kTextFieldNumber));
static_assert(Same(kInteger, RecordEntry::kIntegerFieldNumber));
static_assert(Same(kReal, RecordEntry::kRealFieldNumber));
static_assert(Same(kFlag, RecordEntry::kFlagFieldNumber));
static_assert(Same(kNumber, RecordEntry::kNumberFieldNumber));

static_assert(Same(kFieldName, RecordField::kNameFieldNumber));
static_assert(Same(kFieldKind, RecordField::kKindFieldNumber));
static_assert(Same(kFieldEntries, RecordField::kEntriesFieldNumber));

}  // namespace
}  // namespace sanji::codec::wire
