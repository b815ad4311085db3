//! What lives in Redis: spent refresh-token ids, revoked sessions, per-user
//! "valid after" times, rate counters and lockouts. Every entry has a TTL so
//! nothing grows forever. Two implementations behind one trait: in-process
//! (one instance) and Redis (many instances behind a load balancer).

mod contract;
mod memory;
mod redis;

pub use self::contract::*;
pub use self::memory::MemoryStore;
pub use self::redis::RedisStore;
