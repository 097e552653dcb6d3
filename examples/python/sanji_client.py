#!/usr/bin/python3
"""An application of a Sanji node, in Python with Debian's python3-grpcio.

It writes one record through RecordService.Put and reads it back with
RecordService.Get, over mutual TLS with an application certificate, and
verifies the node as any TLS client verifies a server: its certificate must
chain to the county CA and name the host dialled (localhost or 127.0.0.1 for
the demo county, whose node certificates carry those DNS and IP SANs). No
name override, no skipped checks.

Stubs come from proto/api.proto, generated with the protoc of Debian's
protobuf-compiler and the plugin of protobuf-compiler-grpc:

  protoc -I proto --python_out=stubs --grpc_python_out=stubs \\
      --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin proto/api.proto

Against the demo county (scripts/county), as an application of village
xiaban:

  sanjictl cert issue --ca-dir county-demo/ca --app till \\
      --scope gutian/fengpu/xiaban --out-dir county-demo/certs
  /usr/bin/python3 examples/python/sanji_client.py --stubs stubs \\
      --target localhost:7011 --ca county-demo/ca/ca.pem \\
      --cert county-demo/certs/app.till.gutian.fengpu.xiaban.pem \\
      --key county-demo/certs/app.till.gutian.fengpu.xiaban.key \\
      --collection service_requests --record-key py-1 --scope gutian/fengpu/xiaban \\
      --field title --text "修水泵"

It prints the record as Get returned it and exits 0; on a failed call it
prints the call, the gRPC status code and the node's message, and exits 1.
Use /usr/bin/python3: python3-grpcio is installed for Debian's Python.
"""

import argparse
import pathlib
import sys

# Every call is bounded: a node that does not answer is an error, not a hang.
CALL_TIMEOUT_SECONDS = 10


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stubs", required=True,
                        help="directory holding api_pb2.py and api_pb2_grpc.py")
    parser.add_argument("--target", required=True,
                        help="host:port of the node, e.g. localhost:7011")
    parser.add_argument("--ca", required=True, help="the county CA's certificate")
    parser.add_argument("--cert", required=True, help="the application's certificate")
    parser.add_argument("--key", required=True, help="the application's private key")
    parser.add_argument("--collection", required=True)
    parser.add_argument("--record-key", required=True, help="the record's key")
    parser.add_argument("--scope", required=True,
                        help="the record's scope, within the certificate's")
    parser.add_argument("--field", required=True, help="a text (lww) field to assign")
    parser.add_argument("--text", required=True, help="the value to assign")
    return parser.parse_args()


def credentials(grpc, args):
    def read(path):
        return pathlib.Path(path).read_bytes()

    return grpc.ssl_channel_credentials(root_certificates=read(args.ca),
                                        private_key=read(args.key),
                                        certificate_chain=read(args.cert))


def main():
    args = parse_args()
    sys.path.insert(0, args.stubs)
    import grpc  # noqa: E402  (after argparse, so that --help works without grpcio)
    import api_pb2  # noqa: E402
    import api_pb2_grpc  # noqa: E402

    with grpc.secure_channel(args.target, credentials(grpc, args)) as channel:
        records = api_pb2_grpc.RecordServiceStub(channel)
        put = api_pb2.PutRequest(
            collection=args.collection, key=args.record_key, scope=args.scope,
            ops=[api_pb2.FieldOperation(field=args.field,
                                        assign=api_pb2.Value(text=args.text))])
        get = api_pb2.GetRequest(collection=args.collection, key=args.record_key)
        call = "Put"
        try:
            records.Put(put, timeout=CALL_TIMEOUT_SECONDS)
            call = "Get"
            record = records.Get(get, timeout=CALL_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            print(f"RecordService.{call} to {args.target} failed: {error.code().name}: "
                  f"{error.details()}", file=sys.stderr)
            return 1
    print(f"{record.collection}/{record.key} scope {record.scope}: "
          f"{args.field} = {record.fields[args.field].lww.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
