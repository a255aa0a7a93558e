//! Where a request may connect: the host is resolved once, here, and the connection goes to an
//! address vetted here (no second resolution, so no DNS rebinding between check and connect).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Whether `ip` is not a public unicast address: loopback, private (RFC 1918, ULA), link-local,
/// CGNAT, unspecified, multicast, broadcast, documentation and benchmarking ranges, and the
/// cloud metadata addresses (169.254.169.254 is link-local; fd00:ec2::254 is ULA).
pub fn is_special(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_special_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_special_v4(v4),
            None => is_special_v6(v6),
        },
    }
}

fn is_special_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // CGNAT, 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn is_special_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local, fc00::/7 (fd00:ec2::254 among them)
        || (first & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated), fec0::/10
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b // NAT64, maps to IPv4 of any kind
        || ip.to_ipv4().is_some_and(is_special_v4) // IPv4-compatible ::a.b.c.d
}

/// The addresses a request may connect to, in the resolver's order: all of them when the
/// operator granted this exact host and port, else the public ones only.
pub fn allowed(addresses: impl IntoIterator<Item = SocketAddr>, exact: bool) -> Vec<SocketAddr> {
    addresses
        .into_iter()
        .filter(|a| exact || !is_special(a.ip()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn special_ranges_are_special() {
        for special in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fc00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(is_special(ip(special)), "{special} should be special");
        }
    }

    #[test]
    fn public_addresses_are_not() {
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_special(ip(public)), "{public} should be public");
        }
    }

    #[test]
    fn only_an_exact_grant_keeps_special_addresses() {
        let addresses: Vec<SocketAddr> = vec![
            "127.0.0.1:80".parse().unwrap(),
            "1.1.1.1:80".parse().unwrap(),
        ];
        assert_eq!(allowed(addresses.clone(), false), vec![addresses[1]]);
        assert_eq!(allowed(addresses.clone(), true), addresses);
    }
}
