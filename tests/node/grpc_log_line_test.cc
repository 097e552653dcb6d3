// gRPC core's own log lines as node/grpc_log_line.h reads them: the TLS
// handshake failures of gRPC 1.51 (OpenSSL 3's error strings) named by cause.
#include "node/grpc_log_line.h"

#include <gtest/gtest.h>

namespace sanji::node {
namespace {

TEST(GrpcLogLineTest, AForeignCertificateIsNamedWithOpenSslsReason) {
  EXPECT_EQ(TlsHandshakeFailureCause("Handshake failed with fatal error SSL_ERROR_SSL: "
                                     "error:0A000086:SSL routines::certificate verify failed."),
            "the peer's certificate was not issued by this county's CA, or has expired "
            "(certificate verify failed)");
}

TEST(GrpcLogLineTest, NoCertificateAndPlaintextAreTheirOwnCauses) {
  EXPECT_EQ(TlsHandshakeFailureCause("Handshake failed with fatal error SSL_ERROR_SSL: "
                                     "error:0A0000C7:SSL routines::peer did not return a "
                                     "certificate."),
            "the peer presented no certificate (peer did not return a certificate)");
  EXPECT_EQ(TlsHandshakeFailureCause("Handshake failed with fatal error SSL_ERROR_SSL: "
                                     "error:0A00010B:SSL routines::wrong version number."),
            "the peer does not speak TLS (a plaintext client, or not gRPC) (wrong version number)");
}

TEST(GrpcLogLineTest, AnUnknownReasonIsKeptAndABareErrorNamesItsKind) {
  EXPECT_EQ(TlsHandshakeFailureCause("Handshake failed with fatal error SSL_ERROR_SSL: "
                                     "error:0A000410:SSL routines::sslv3 alert handshake failure."),
            "sslv3 alert handshake failure");
  EXPECT_EQ(TlsHandshakeFailureCause("Handshake failed with fatal error SSL_ERROR_SYSCALL: "
                                     "error:00000000:lib(0)::reason(0)."),
            "the handshake broke off (SSL_ERROR_SYSCALL)");
}

TEST(GrpcLogLineTest, OtherLinesAreNotHandshakeFailures) {
  EXPECT_EQ(TlsHandshakeFailureCause("No match found for server name: 127.0.0.1."), std::nullopt);
  EXPECT_EQ(TlsHandshakeFailureCause("Failed to bind to 127.0.0.1:7000"), std::nullopt);
}

}  // namespace
}  // namespace sanji::node
