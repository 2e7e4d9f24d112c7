// The dashboard's frame: header with navigation and the live link state, then the routed page.
import { Agent } from './pages/Agent.tsx';
import { Agents } from './pages/Agents.tsx';
import { Compute } from './pages/Compute.tsx';
import { ComputeJob } from './pages/ComputeJob.tsx';
import { ComputeProvider } from './pages/ComputeProvider.tsx';
import { Anchors } from './pages/Anchors.tsx';
import { DataCatalogue } from './pages/DataCatalogue.tsx';
import { DataListing } from './pages/DataListing.tsx';
import { DataModel } from './pages/DataModel.tsx';
import { Dataset } from './pages/Dataset.tsx';
import { Datasets } from './pages/Datasets.tsx';
import { Lab } from './pages/Lab.tsx';
import { LabRun } from './pages/LabRun.tsx';
import { Licences } from './pages/Licences.tsx';
import { Lineage } from './pages/Lineage.tsx';
import { Models } from './pages/Models.tsx';
import { Events } from './pages/Events.tsx';
import { Overview } from './pages/Overview.tsx';
import { Payments } from './pages/Payments.tsx';
import { Wallet } from './pages/Wallet.tsx';
import { Wallets } from './pages/Wallets.tsx';
import { Empty } from './components/common.tsx';
import { useLiveStatus, type LiveStatus } from './live.tsx';
import { href, useRoute, type Route } from './router.ts';

/** Pages that sit under another page's nav entry. */
const SECTION: Partial<Record<Route['page'], string>> = { agent: 'agents', wallet: 'wallets', dataset: 'datasets', lineage: 'models', computeJob: 'compute', computeProvider: 'compute', dataCatalogue: 'data', dataListing: 'data', dataLicences: 'data', dataModel: 'data', labRun: 'lab' };

const liveLabel: Record<LiveStatus, string> = { connecting: 'connecting…', live: 'live', offline: 'offline' };

export function App() {
  const route = useRoute();
  const status = useLiveStatus();
  const section = SECTION[route.page] ?? route.page;
  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <a className="brand" href={href('/')}>
            <span className="brand-mark" aria-hidden>
              M
            </span>
            Machina <span className="brand-sub">node</span>
          </a>
          <nav className="nav">
            <NavLink to="/" active={section === 'overview'} testId="nav-overview">
              Overview
            </NavLink>
            <NavLink to="/agents" active={section === 'agents'} testId="nav-agents">
              Agents
            </NavLink>
            <NavLink to="/wallets" active={section === 'wallets'} testId="nav-wallets">
              Wallets
            </NavLink>
            <NavLink to="/payments" active={section === 'payments'} testId="nav-payments">
              Payments
            </NavLink>
            <NavLink to="/anchors" active={section === 'anchors'} testId="nav-anchors">
              Anchors
            </NavLink>
            <NavLink to="/datasets" active={section === 'datasets'} testId="nav-datasets">
              Datasets
            </NavLink>
            <NavLink to="/models" active={section === 'models'} testId="nav-models">
              Models
            </NavLink>
            <NavLink to="/compute" active={section === 'compute'} testId="nav-compute">
              Compute
            </NavLink>
            <NavLink to="/data" active={section === 'data'} testId="nav-data">
              Data
            </NavLink>
            <NavLink to="/lab" active={section === 'lab'} testId="nav-lab">
              Lab
            </NavLink>
            <NavLink to="/events" active={section === 'events'} testId="nav-events">
              Event log
            </NavLink>
          </nav>
          <span className={`live-status ${status}`} data-testid="live-status" data-status={status} title="link to the node's event stream">
            <span className="dot" />
            {liveLabel[status]}
          </span>
        </div>
      </header>
      <main className="main">
        <Page route={route} />
      </main>
      <footer className="footer">
        <a href="/v1/openapi.json">OpenAPI</a> · <a href="/health">health</a> · <a href="/.well-known/agent-card.json">agent card</a>
      </footer>
    </>
  );
}

function NavLink({ to, active, testId, children }: { to: string; active: boolean; testId: string; children: string }) {
  return (
    <a href={href(to)} className={active ? 'active' : ''} data-testid={testId} aria-current={active ? 'page' : undefined}>
      {children}
    </a>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'overview':
      return <Overview />;
    case 'agents':
      return <Agents initialQuery={route.q} />;
    case 'agent':
      // A new key per agent: nothing (paging, loaded data) carries over from the previous agent.
      return <Agent key={route.agentId} agentId={route.agentId} />;
    case 'wallets':
      return <Wallets />;
    case 'wallet':
      return <Wallet key={route.address.toLowerCase()} address={route.address} />;
    case 'payments':
      return <Payments />;
    case 'anchors':
      return <Anchors key={route.q} initialQuery={route.q} />;
    case 'datasets':
      return <Datasets initialName={route.name} />;
    case 'dataset':
      return <Dataset key={route.root.toLowerCase()} root={route.root} against={route.against} />;
    case 'models':
      return <Models />;
    case 'lineage':
      return <Lineage key={route.id.toLowerCase()} id={route.id} />;
    case 'compute':
      return <Compute key={route.status} initialStatus={route.status} />;
    case 'computeJob':
      return <ComputeJob key={route.jobId} jobId={route.jobId} />;
    case 'computeProvider':
      return <ComputeProvider key={route.providerId} providerId={route.providerId} />;
    case 'dataCatalogue':
      return <DataCatalogue initialQuery={route.q} initialPurpose={route.purpose} />;
    case 'dataListing':
      return <DataListing key={route.listingId} listingId={route.listingId} />;
    case 'dataLicences':
      return <Licences key={`${route.holder}|${route.listing}`} initialHolder={route.holder} listing={route.listing} />;
    case 'dataModel':
      return <DataModel key={route.digest.toLowerCase()} digest={route.digest} />;
    case 'lab':
      return <Lab />;
    case 'labRun':
      return <LabRun key={route.runId} runId={route.runId} />;
    case 'events':
      return <Events contract={route.contract} event={route.event} />;
    case 'notFound':
      return (
        <div className="page">
          <h1>Not found</h1>
          <Empty>
            Nothing at “{route.path}”. <a href={href('/')}>Back to the overview</a>
          </Empty>
        </div>
      );
  }
}
