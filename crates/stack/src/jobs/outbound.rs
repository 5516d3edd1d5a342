//! Where a component program may connect: not to the stack's own loopback, private networks,
//! link-local addresses (in a cloud, the instance metadata service) or addresses that are no
//! destination at all, unless the stack's `network.outboundAllow` lists them. The stack hands the
//! list to programs in [`ALLOW_ENV`]; a program checks every address it is about to connect to,
//! after DNS resolution.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// The variable that hands a program the stack's `network.outboundAllow`: addresses and CIDR
/// ranges, comma-separated.
pub const ALLOW_ENV: &str = "STACKPORT_OUTBOUND_ALLOW";

/// An address range: `10.0.0.0/8`, `::1/128`, or one address (`127.0.0.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (address, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("'{s}' is not an IP address or a CIDR range"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("'{s}': the prefix length must be from 0 to {max}"))?,
        };
        Ok(Cidr { network, prefix })
    }
}

impl Cidr {
    /// Whether `ip` is in this range (an IPv4 range holds no IPv6 address and the other way
    /// round; compare [`canonical`] forms to match a mapped address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(u32::from(net).into(), u32::from(ip).into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(u128::from(net), u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn prefix_eq(a: u128, b: u128, prefix: u8, bits: u8) -> bool {
    let host_bits = u32::from(bits - prefix);
    a.checked_shr(host_bits).unwrap_or(0) == b.checked_shr(host_bits).unwrap_or(0)
}

/// The addresses a program may reach although they are restricted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<Cidr>);

impl AllowList {
    /// Parses the entries of `network.outboundAllow`.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<AllowList, String> {
        entries
            .iter()
            .map(|e| e.as_ref().parse())
            .collect::<Result<_, _>>()
            .map(AllowList)
    }

    /// Parses the value of [`ALLOW_ENV`].
    pub fn from_env_value(value: &str) -> Result<AllowList, String> {
        let entries: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        AllowList::parse(&entries)
    }

    /// Whether a program may connect to `ip`: `Err` says which kind of restricted address it is.
    pub fn check(&self, ip: IpAddr) -> Result<(), Restricted> {
        let canonical = canonical(ip);
        match restricted(canonical) {
            None => Ok(()),
            Some(_)
                if self
                    .0
                    .iter()
                    .any(|c| c.contains(ip) || c.contains(canonical)) =>
            {
                Ok(())
            }
            Some(kind) => Err(Restricted { ip, kind }),
        }
    }
}

/// An address a program may not connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restricted {
    pub ip: IpAddr,
    /// E.g. `a loopback address`.
    pub kind: &'static str,
}

impl std::fmt::Display for Restricted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is {}; components may not connect to loopback, private, link-local, unspecified, \
             multicast or broadcast addresses unless the stack's network.outboundAllow setting \
             lists them",
            self.ip, self.kind
        )
    }
}

/// The IPv4 address an IPv6 address stands for (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
/// `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`), so a restricted IPv4 address cannot be reached in
/// another spelling; any other address as it is.
pub fn canonical(ip: IpAddr) -> IpAddr {
    let IpAddr::V6(v6) = ip else {
        return ip;
    };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return IpAddr::V4(v4);
    }
    let s = v6.segments();
    let low = Ipv4Addr::from((u32::from(s[6]) << 16) | u32::from(s[7]));
    let compatible = s[..6].iter().all(|x| *x == 0) && v6 != Ipv6Addr::UNSPECIFIED;
    let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    if (compatible && v6 != Ipv6Addr::LOCALHOST) || nat64 {
        return IpAddr::V4(low);
    }
    ip
}

/// Which kind of restricted address `ip` (in [`canonical`] form) is, if it is one.
fn restricted(ip: IpAddr) -> Option<&'static str> {
    let within = |range: &str| {
        range
            .parse::<Cidr>()
            .map(|c| c.contains(ip))
            .unwrap_or(false)
    };
    const RANGES: &[(&str, &str)] = &[
        ("0.0.0.0/8", "an unspecified address"),
        ("127.0.0.0/8", "a loopback address"),
        ("10.0.0.0/8", "a private address (RFC 1918)"),
        ("172.16.0.0/12", "a private address (RFC 1918)"),
        ("192.168.0.0/16", "a private address (RFC 1918)"),
        (
            "100.64.0.0/10",
            "a shared address (carrier-grade NAT, RFC 6598)",
        ),
        ("169.254.0.0/16", "a link-local address"),
        ("224.0.0.0/4", "a multicast address"),
        ("255.255.255.255/32", "the broadcast address"),
        ("240.0.0.0/4", "a reserved address"),
        ("::/128", "an unspecified address"),
        ("::1/128", "a loopback address"),
        ("fc00::/7", "a unique local (private) address"),
        ("fec0::/10", "a site-local (private) address"),
        ("fe80::/10", "a link-local address"),
        ("ff00::/8", "a multicast address"),
    ];
    RANGES
        .iter()
        .find(|(range, _)| within(range))
        .map(|(_, kind)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn refused(s: &str) -> bool {
        AllowList::default().check(ip(s)).is_err()
    }

    #[test]
    fn cidrs_parse_and_contain() {
        let net: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains(ip("10.255.1.2")));
        assert!(!net.contains(ip("11.0.0.1")));
        let one: Cidr = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")) && !all.contains(ip("::1")));
        let v6: Cidr = " fd00::/8 ".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        let host6: Cidr = "::1/128".parse().unwrap();
        assert!(host6.contains(ip("::1")) && !host6.contains(ip("127.0.0.1")));
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "localhost",
            "10.0.0/8",
            "1.2.3.4/-1",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn each_restricted_range_is_refused() {
        for s in [
            "0.0.0.0",
            "127.0.0.1",
            "127.9.9.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "224.0.0.1",
            "239.255.255.255",
            "255.255.255.255",
            "240.0.0.1",
            "::",
            "::1",
            "fc00::1",
            "fd00:ec2::254",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(refused(s), "{s} must be refused");
        }
    }

    #[test]
    fn ipv4_in_ipv6_spellings_are_refused_too() {
        for s in [
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(refused(s), "{s} must be refused");
        }
        assert!(!refused("::ffff:8.8.8.8"));
        assert!(!refused("64:ff9b::808:808"));
    }

    #[test]
    fn public_addresses_and_range_edges_pass() {
        for s in [
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.255.255",
            "223.255.255.255",
            "11.0.0.1",
            "2606:4700:4700::1111",
            "2001:db8::1",
        ] {
            assert!(!refused(s), "{s} must pass");
        }
    }

    #[test]
    fn the_allow_list_lets_listed_addresses_through() {
        let allow = AllowList::from_env_value("127.0.0.1, 10.0.0.0/8,,fd00::/8").unwrap();
        assert!(allow.check(ip("127.0.0.1")).is_ok());
        assert!(allow.check(ip("::ffff:127.0.0.1")).is_ok());
        assert!(allow.check(ip("10.20.30.40")).is_ok());
        assert!(allow.check(ip("fd00::5")).is_ok());
        assert!(allow.check(ip("127.0.0.2")).is_err());
        assert!(allow.check(ip("::1")).is_err());
        let refusal = allow.check(ip("169.254.169.254")).unwrap_err();
        assert_eq!(refusal.kind, "a link-local address");
        assert!(refusal.to_string().contains("network.outboundAllow"));
        assert!(AllowList::from_env_value("").unwrap() == AllowList::default());
        assert!(AllowList::parse(&["nope"]).unwrap_err().contains("'nope'"));
    }
}
