/** The small interface the core's callers need from a forge (GitHub now, GitLab later). */

export interface PullRequestRef {
  number: number;
  baseSha: string;
  headSha: string;
  baseRef: string;
  /** Opened from a fork: its token is read-only, so nothing is written back. */
  fromFork: boolean;
}

export interface CiContext {
  event: string;
  repository: { owner: string; name: string };
  sha: string;
  ref: string;
  pullRequest: PullRequestRef | undefined;
  /** For a push: the commits before and after, and whether it went to the default branch. */
  push: { before: string; after: string; toDefaultBranch: boolean } | undefined;
  /** Link to this run's log, for reports. */
  runUrl: string | undefined;
}

export interface PlatformComment {
  id: number;
  /** GraphQL node id (for minimizing). */
  nodeId: string;
  body: string;
  url: string;
  minimized: boolean;
  /** The login that wrote it. */
  author: string;
}

/** Comments on a pull request / merge request. */
export interface ReviewPlatform {
  /** The login this platform's token writes as: only its comments are kubeplan's to edit, delete or minimize. */
  identity(): Promise<string>;
  listComments(pr: number): Promise<PlatformComment[]>;
  createComment(pr: number, body: string): Promise<PlatformComment>;
  updateComment(id: number, body: string): Promise<PlatformComment>;
  deleteComment(id: number): Promise<void>;
  /** Collapses an outdated comment (GitHub: minimizeComment OUTDATED). */
  minimizeComment(comment: PlatformComment): Promise<void>;
}
