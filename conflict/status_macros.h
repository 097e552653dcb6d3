// Status propagation macros.
//
// Debian 12's Abseil (20220623) has Status and StatusOr but no public
// RETURN_IF_ERROR / ASSIGN_OR_RETURN, so Sanji defines its own once, here.
// Every layer of Sanji uses these; they add no behaviour beyond early return.
#ifndef SANJI_CONFLICT_STATUS_MACROS_H_
#define SANJI_CONFLICT_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SANJI_STATUS_CONCAT_INNER_(a, b) a##b
#define SANJI_STATUS_CONCAT_(a, b) SANJI_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function if it is not OK.
#define SANJI_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::absl::Status sanji_status_ = (expr);         \
    if (!sanji_status_.ok()) return sanji_status_; \
  } while (false)

// `lhs` = value of `rexpr` (an absl::StatusOr<T>), or returns its status.
// `lhs` may be a declaration: SANJI_ASSIGN_OR_RETURN(auto x, MakeX());
#define SANJI_ASSIGN_OR_RETURN(lhs, rexpr) \
  SANJI_ASSIGN_OR_RETURN_IMPL_(SANJI_STATUS_CONCAT_(sanji_statusor_, __LINE__), lhs, rexpr)

#define SANJI_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return statusor.status();            \
  lhs = std::move(statusor).value()

#endif  // SANJI_CONFLICT_STATUS_MACROS_H_
