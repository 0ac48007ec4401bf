//! Pagination markers: opaque to clients, sealed with the master key and bound to the account
//! and the operation that issued them, so what comes back is either a position this server
//! wrote for this very listing or an error, never a number or a name taken on trust.

use crate::error::{ServiceError, ServiceResult};
use crate::seal::Sealer;

/// AWS's answer to a marker it did not issue (or issued for another listing).
pub(crate) fn invalid_marker() -> ServiceError {
    ServiceError::validation("Invalid Marker.")
}

fn binding(account: &str, operation: &str) -> Vec<u8> {
    format!("castellan:marker:v1:{account}:{operation}").into_bytes()
}

/// The marker of a position (the store's key of the last item shown, or an index).
pub(crate) fn encode(
    sealer: &Sealer,
    account: &str,
    operation: &str,
    position: &str,
) -> ServiceResult<String> {
    let sealed = sealer
        .seal(position.as_bytes(), &binding(account, operation))
        .map_err(|e| ServiceError::internal(&e))?;
    Ok(data_encoding::BASE64URL_NOPAD.encode(&sealed))
}

/// The position a marker holds, if this server issued it for `operation` in `account`.
pub(crate) fn decode(
    sealer: &Sealer,
    account: &str,
    operation: &str,
    marker: &str,
) -> ServiceResult<String> {
    let sealed = data_encoding::BASE64URL_NOPAD
        .decode(marker.as_bytes())
        .map_err(|_| invalid_marker())?;
    let position = sealer
        .open(&sealed, &binding(account, operation))
        .map_err(|_| invalid_marker())?;
    String::from_utf8(position.to_vec()).map_err(|_| invalid_marker())
}

/// One page of an in-memory list: the items after `start` (an index decoded from a marker),
/// and the index where the next page starts, if any. Checked arithmetic: an index past the
/// end is an empty, final page.
pub(crate) fn slice<T: Clone>(items: &[T], start: usize, size: usize) -> (Vec<T>, Option<usize>) {
    let page: Vec<T> = items.iter().skip(start).take(size).cloned().collect();
    let next = start
        .checked_add(page.len())
        .filter(|next| !page.is_empty() && *next < items.len());
    (page, next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::MasterKey;

    #[test]
    fn markers_round_trip_and_refuse_anything_else() {
        let sealer = Sealer::new(&MasterKey::generate().unwrap());
        let marker = encode(&sealer, "111111111111", "ListUsers", "alice").unwrap();
        assert_eq!(
            decode(&sealer, "111111111111", "ListUsers", &marker).unwrap(),
            "alice"
        );
        for (account, operation, text) in [
            ("111111111111", "ListGroups", marker.as_str()),
            ("222222222222", "ListUsers", marker.as_str()),
            ("111111111111", "ListUsers", "18446744073709551615"),
            ("111111111111", "ListUsers", "alice"),
            ("111111111111", "ListUsers", ""),
        ] {
            assert_eq!(
                decode(&sealer, account, operation, text),
                Err(invalid_marker())
            );
        }
    }

    #[test]
    fn slices_never_overflow() {
        let items = [1, 2, 3];
        assert_eq!(slice(&items, 0, 2), (vec![1, 2], Some(2)));
        assert_eq!(slice(&items, 2, 2), (vec![3], None));
        assert_eq!(slice(&items, usize::MAX, 1000), (Vec::new(), None));
    }
}
