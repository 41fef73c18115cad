//! Where the platform may send HTTP requests of its own (webhooks, and Slack after them): never to
//! loopback, private, link-local, unique-local, unspecified, carrier-grade NAT, multicast or reserved
//! addresses, nor to cloud metadata names, unless `webhooks.allow_private_networks` says so (SPEC §3).
//!
//! The check runs twice: when an endpoint is registered ([`OutboundPolicy::check_url`] resolves the host
//! and looks at every address), and at every connection ([`GuardedResolver`], reqwest's DNS resolver, drops
//! the forbidden addresses of each lookup; [`OutboundPolicy::check_literal`] covers URLs whose host is an
//! address, which reqwest does not resolve). A host that resolved to a public address at registration and
//! to 127.0.0.1 later (DNS rebinding) is therefore refused at the connection. Addresses are parsed by the
//! WHATWG URL rules (the `url` crate), so `2130706433`, `0x7f.0.0.1`, `127.1` and `[::ffff:127.0.0.1]` are
//! all the loopback address they mean.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Names refused whatever they resolve to: the metadata services of the clouds and local names.
const FORBIDDEN_NAMES: [&str; 3] = ["localhost", "metadata.google.internal", "metadata.goog"];
/// Suffixes refused likewise.
const FORBIDDEN_SUFFIXES: [&str; 2] = [".localhost", ".internal"];

/// What outbound requests may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboundPolicy {
    /// Allow private and local addresses (tests, and receivers on the same machine or network).
    pub allow_private_networks: bool,
}

/// A destination that may not be reached; the message is safe to show an admin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Forbidden(pub String);

impl OutboundPolicy {
    /// Checks a URL's host before it is stored: a name must resolve, and to allowed addresses only.
    pub async fn check_url(&self, url: &url::Url) -> Result<(), Forbidden> {
        if self.allow_private_networks {
            return Ok(());
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => {
                check_name(name)?;
                let port = url.port_or_known_default().unwrap_or(443);
                let addresses: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
                    .await
                    .map_err(|_| Forbidden(format!("the host {name} does not resolve")))?
                    .collect();
                if addresses.is_empty() {
                    return Err(Forbidden(format!("the host {name} does not resolve")));
                }
                addresses.iter().try_for_each(|address| self.check_ip(address.ip()))
            }
            None => Err(Forbidden("the URL names no host".to_owned())),
        }
    }

    /// Checks the host of a URL about to be requested when it is an address (reqwest resolves names only).
    pub fn check_literal(&self, url: &str) -> Result<(), Forbidden> {
        if self.allow_private_networks {
            return Ok(());
        }
        let parsed = url::Url::parse(url).map_err(|_| Forbidden("not a URL".to_owned()))?;
        match parsed.host() {
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => check_name(name),
            None => Err(Forbidden("the URL names no host".to_owned())),
        }
    }

    fn check_ip(&self, ip: IpAddr) -> Result<(), Forbidden> {
        if self.allow_private_networks || is_public(ip) {
            Ok(())
        } else {
            Err(Forbidden(
                "the host is a loopback, private, link-local or reserved address \
                 (allowed only with webhooks.allow_private_networks)"
                    .to_owned(),
            ))
        }
    }

    /// The resolver for a reqwest client that follows this policy.
    pub fn resolver(self) -> GuardedResolver {
        GuardedResolver { policy: self }
    }

    /// The HTTP client of outbound requests: connections through [`GuardedResolver`], no proxy (a proxy
    /// would resolve the name itself), no redirects (a redirect could point anywhere), `timeout` per
    /// request and per connection.
    pub fn client(self, timeout: std::time::Duration, user_agent: &str) -> reqwest::Result<reqwest::Client> {
        // Every TLS user of the process shares the ring provider; installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(std::sync::Arc::new(self.resolver()))
            .user_agent(user_agent)
            .build()
    }
}

fn check_name(name: &str) -> Result<(), Forbidden> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if FORBIDDEN_NAMES.contains(&name.as_str()) || FORBIDDEN_SUFFIXES.iter().any(|s| name.ends_with(s)) {
        return Err(Forbidden(format!("the host {name} is a local or metadata name")));
    }
    Ok(())
}

/// Whether `ip` is an ordinary public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT, also Alibaba's metadata 100.100.100.200
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    // An IPv4 address in IPv6 clothing is judged as the IPv4 address: mapped (::ffff:a.b.c.d), compatible
    // (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002:a.b.c.d::/48).
    let segments = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    if segments[..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified() {
        return is_public_v4(Ipv4Addr::from(ip.octets()[12..16].try_into().unwrap_or([0; 4])));
    }
    if segments[0] == 0x64 && segments[1] == 0xff9b && segments[2..6] == [0; 4] {
        return is_public_v4(Ipv4Addr::from(ip.octets()[12..16].try_into().unwrap_or([0; 4])));
    }
    if segments[0] == 0x2002 {
        return is_public_v4(Ipv4Addr::from(ip.octets()[2..6].try_into().unwrap_or([0; 4])));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local fc00::/7 (AWS metadata fd00:ec2::254)
        || (segments[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)) // documentation
}

/// A DNS resolver that resolves with the system's resolver and keeps only the addresses the policy allows;
/// a name left with none fails to connect. (Forbidden names are refused before, by
/// [`OutboundPolicy::check_literal`].)
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    policy: OutboundPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                resolved.into_iter().filter(|a| policy.allow_private_networks || is_public(a.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(Forbidden(format!("{host} resolves to no allowed address"))) as _);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> bool {
        let policy = OutboundPolicy::default();
        let parsed = url::Url::parse(url).unwrap();
        futures_executor(policy.check_url(&parsed)).is_err()
    }

    fn futures_executor<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
    }

    #[test]
    fn private_and_disguised_addresses_are_refused() {
        for url in [
            "http://127.0.0.1:8080/",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://0.0.0.0/",
            "http://2130706433/",
            "http://0x7f.0.0.1/",
            "http://127.1/",
            "http://017700000001/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:169.254.169.254]/",
            "http://[fd00:ec2::254]/",
            "http://[fe80::1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[2002:7f00:1::]/",
            "http://100.100.100.200/",
            "http://localhost:9000/",
            "http://api.localhost/",
            "http://LOCALHOST./",
        ] {
            assert!(refused(url), "{url} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass_and_the_setting_allows_private_ones() {
        for ip in ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "1.1.1.1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        assert!(!refused("http://93.184.215.14/hooks"));
        let open = OutboundPolicy { allow_private_networks: true };
        assert_eq!(
            futures_executor(open.check_url(&url::Url::parse("http://127.0.0.1:1/").unwrap())),
            Ok(())
        );
        assert_eq!(open.check_literal("http://[::1]/"), Ok(()));
        assert!(OutboundPolicy::default().check_literal("http://2130706433/").is_err());
    }

    /// DNS rebinding: a name that resolves to loopback at connection time is refused by the client itself,
    /// before any byte is sent, even though nothing checked the URL first.
    #[tokio::test]
    async fn the_client_refuses_names_that_resolve_to_private_addresses() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = format!("http://localhost:{port}/");
        let client = OutboundPolicy::default().client(std::time::Duration::from_secs(2), "test").unwrap();
        let err = client.get(&url).send().await.unwrap_err();
        let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&err);
        let mut refused = false;
        while let Some(cause) = source {
            refused |= cause.downcast_ref::<Forbidden>().is_some();
            source = cause.source();
        }
        assert!(refused, "{err:?}");
        let accepted = tokio::time::timeout(std::time::Duration::from_millis(100), listener.accept()).await;
        assert!(accepted.is_err(), "no connection reached the listener");
        let open = OutboundPolicy { allow_private_networks: true };
        let resolved = open.resolver().resolve("localhost".parse().unwrap()).await.unwrap();
        assert!(resolved.into_iter().any(|a| a.ip().is_loopback()), "allowed when private networks are");
    }
}
