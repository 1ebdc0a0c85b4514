//! What only keys may ask: the audit log, for admin keys.

use sea_orm::ConnectionTrait;

use super::{ServiceError, ServiceResult};
use crate::domain::access::{Caller, Role};
use crate::store::access::{self, Recorded};

/// Most audit events one question may read.
pub const MAX_EVENTS: i32 = 1000;

/// The latest `first` events of the audit log, newest first, for an admin key.
pub async fn audit_log(
    db: &impl ConnectionTrait,
    caller: &Caller,
    first: i32,
) -> ServiceResult<Vec<Recorded>> {
    match caller {
        Caller::Public => {
            return Err(ServiceError::Unauthenticated(
                "the audit log needs an admin key in `Authorization: Bearer`".to_owned(),
            ));
        }
        Caller::Key(k) if k.role != Role::Admin => {
            return Err(ServiceError::Forbidden(format!(
                "the audit log is for admin keys; this is a {} key",
                k.role
            )));
        }
        Caller::Key(_) => {}
    }
    if !(1..=MAX_EVENTS).contains(&first) {
        return Err(ServiceError::Invalid(format!(
            "`first` must be between 1 and {MAX_EVENTS}"
        )));
    }
    Ok(access::audit_log(db, first as u64).await?)
}
