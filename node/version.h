// Sanji's version, reported by sanjid --version and in each node's status.
#ifndef SANJI_NODE_VERSION_H_
#define SANJI_NODE_VERSION_H_

namespace sanji::node {

inline constexpr char kSanjiVersion[] = "0.1.0";

}  // namespace sanji::node

#endif  // SANJI_NODE_VERSION_H_
