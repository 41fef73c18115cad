//! Lists of CIDR networks a service answers (`ops.allowed_networks`, `metrics.allowed_networks`).

use ipnet::IpNet;
use std::net::IpAddr;

/// A list of networks; a bare address is a network of one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Networks(Vec<IpNet>);

impl Networks {
    /// Parses the list of setting `setting`; a malformed entry is an error naming it.
    pub fn parse(setting: &str, raw: &[String]) -> anyhow::Result<Networks> {
        raw.iter()
            .map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| anyhow::anyhow!("{setting}: {entry:?} is not a CIDR network"))
            })
            .collect::<anyhow::Result<_>>()
            .map(Networks)
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `peer` is in one of the networks (an IPv4 peer seen as `::ffff:a.b.c.d` counts as IPv4).
    pub fn contains(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.0.iter().any(|n| n.contains(&peer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_hold_their_addresses_and_refuse_malformed_entries() {
        let nets =
            Networks::parse("x", &["10.0.0.0/8".to_owned(), "192.168.1.7".to_owned()]).unwrap_or_default();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert!(nets.contains(ip("10.2.3.4")));
        assert!(nets.contains(ip("::ffff:10.2.3.4")));
        assert!(nets.contains(ip("192.168.1.7")));
        assert!(!nets.contains(ip("192.168.1.8")));
        assert!(!nets.contains(ip("127.0.0.1")));
        let err =
            Networks::parse("ops.allowed_networks", &["10.0.0.0/33".to_owned()]).err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("ops.allowed_networks: \"10.0.0.0/33\" is not a CIDR network"));
    }
}
