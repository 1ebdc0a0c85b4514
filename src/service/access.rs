//! What only keys may ask: the audit log, for admin keys.

use sea_orm::ConnectionTrait;

use super::{ServiceError, ServiceResult};
use crate::domain::access::{Caller, Role};
use crate::store::access::{self, Recorded};

/// Most audit events one question may read.
pub const MAX_EVENTS: i32 = 1000;

/// Refuses `doing` to anyone but an admin key: `Unauthenticated` without a key,
/// `Forbidden` with another role's.
pub fn admin_only(caller: &Caller, doing: &str) -> ServiceResult<()> {
    match caller {
        Caller::Public => Err(ServiceError::Unauthenticated(format!(
            "{doing} needs an admin key in `Authorization: Bearer`"
        ))),
        Caller::Key(k) if k.role != Role::Admin => Err(ServiceError::Forbidden(format!(
            "{doing} is for admin keys; this is a {} key",
            k.role
        ))),
        Caller::Key(_) => Ok(()),
    }
}

/// The latest `first` events of the audit log, newest first, for an admin key.
pub async fn audit_log(
    db: &impl ConnectionTrait,
    caller: &Caller,
    first: i32,
) -> ServiceResult<Vec<Recorded>> {
    admin_only(caller, "reading the audit log")?;
    if !(1..=MAX_EVENTS).contains(&first) {
        return Err(ServiceError::Invalid(format!(
            "`first` must be between 1 and {MAX_EVENTS}"
        )));
    }
    Ok(access::audit_log(db, first as u64).await?)
}
