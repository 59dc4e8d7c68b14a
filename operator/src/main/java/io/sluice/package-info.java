/** Sluice: a Kubernetes operator for GitOps progressive delivery. */
package io.sluice;
