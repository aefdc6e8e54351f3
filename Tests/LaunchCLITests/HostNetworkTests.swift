import Testing

/// Tests that change the host's networking (network namespaces, veth pairs) or depend on it (Podman sets up its
/// containers' networks in the same /run/netns): run one at a time, never beside each other. Seen: a Podman build
/// that never started while the partition test made and removed its namespace.
@Suite(.serialized) enum HostNetworkTests {}
