#include "cli/global_flags.h"

namespace sanji::cli {

void AddGlobalFlags(CLI::App& app, GlobalFlags& flags) {
  const std::string group = "Connection and output";
  // From the environment too, as the certificate is: scripts/county's `env`
  // points sanjictl at a county that does not listen on the default port.
  app.add_option("--endpoint", flags.endpoint, "The node's host:port")
      ->envname("SANJI_ENDPOINT")
      ->capture_default_str()
      ->group(group);
  app.add_option("--ca", flags.ca_file, "The county CA's certificate (PEM)")
      ->envname("SANJI_CA")
      ->group(group);
  app.add_option("--cert", flags.cert_file, "Your client certificate (PEM)")
      ->envname("SANJI_CERT")
      ->group(group);
  app.add_option("--key", flags.key_file, "Your client certificate's private key (PEM)")
      ->envname("SANJI_KEY")
      ->group(group);
  app.add_flag("--insecure", flags.insecure,
               "Plaintext, to a node started with sanjid --insecure (loopback endpoints only)")
      ->group(group);
  app.add_flag("--json", flags.json, "Print protobuf JSON, one document per line")->group(group);
  app.add_option("--timeout", flags.timeout_seconds, "Deadline of each call, in seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(group);
}

}  // namespace sanji::cli
