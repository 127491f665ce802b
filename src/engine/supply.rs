//! Handing a credential's secret to a program credtop starts for the
//! user (an MCP server): refreshed first when due, and on the record.

use super::{Lifecycle, LifecycleError, RefreshMode};
use crate::audit::{AuditRecord, Caller, Event, Outcome};
use crate::model::Credential;

impl Lifecycle {
    /// Credential `name`, refreshed first when credtop can and it is due,
    /// and audited as a `secret_read` by the calling process for `purpose`
    /// ("supplied as GITHUB_TOKEN to the MCP server 'github' (.mcp.json)")
    /// and `task`.
    pub async fn supply(
        &self,
        name: &str,
        purpose: &str,
        task: Option<&str>,
    ) -> Result<Credential, LifecycleError> {
        let cred = self.store().load(name)?;
        let cred = if cred.is_refreshable() {
            self.refresh(name, RefreshMode::IfNeeded)
                .await?
                .credential()
                .clone()
        } else {
            cred
        };
        self.audit().record(
            AuditRecord::new(Event::SecretRead, self.actor(), Outcome::Ok)
                .about(&cred)
                .task(task)
                .caller(Caller::parent())
                .detail(purpose.to_string()),
        );
        Ok(cred)
    }
}
