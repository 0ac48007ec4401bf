//! Both engines reach the same decision on every request of the comparison, so the timings
//! compare like with like.

use castellan_bench::{IamFixture, all_cases, cedar::CedarFixture, check_agreement, fixture};

#[test]
fn both_engines_agree_on_every_case() {
    let documents = fixture::documents();
    let cases = all_cases();
    let iam = IamFixture::new(&documents).unwrap();
    let cedar = CedarFixture::new(&documents, &cases).unwrap();
    if let Err(problems) = check_agreement(&iam, &cedar, &cases) {
        panic!("the engines disagree:\n{problems}");
    }
}

#[test]
fn the_principal_has_the_size_the_issue_asks_for() {
    let documents = fixture::documents();
    assert_eq!(documents.len(), 15);
    assert_eq!(fixture::statement_count(&documents), 100);
    assert_eq!(fixture::policy_size(&fixture::large_policy_text()), 6_144);
}
