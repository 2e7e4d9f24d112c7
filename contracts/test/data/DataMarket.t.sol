// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {IComputeMarket} from "../../src/compute/interfaces/IComputeMarket.sol";
import {DataLicence} from "../../src/data/DataLicence.sol";
import {DataMarket, DataMarketBase} from "../../src/data/DataMarket.sol";
import {IDataMarket, IModelRevenueVault} from "../../src/data/interfaces/IDataMarket.sol";
import {ModelRevenueVault} from "../../src/data/ModelRevenueVault.sol";
import {DataTestBase, DataTestWallet} from "./utils/DataTestBase.sol";

/// @notice Unit tests of DataMarket, DataLicence and ModelRevenueVault: every function and every custom error.
contract DataMarketTest is DataTestBase {
    event ListingPublished(
        uint256 indexed listingId,
        bytes32 indexed root,
        address indexed owner,
        uint256 parentId,
        bool agentOwned,
        uint256 ownerAgentId,
        IDataMarket.Contributor[] contributors
    );
    event TermsSet(uint256 indexed listingId, IDataMarket.Terms terms, uint32 epoch);
    event ListingActiveSet(uint256 indexed listingId, bool active);
    event ConsentGiven(
        uint256 indexed listingId,
        uint256 indexed index,
        address indexed account,
        bytes32 documentDigest,
        uint32 scope,
        uint32 epoch
    );
    event ConsentRevoked(uint256 indexed listingId, uint256 indexed index, address indexed account, uint32 epoch);
    event LicenceIssued(
        uint256 indexed licenceId,
        uint256 indexed listingId,
        address indexed holder,
        IDataMarket.LicenceKind kind,
        uint32 purposes,
        uint256 price,
        uint40 expiresAt,
        uint256 includedMask,
        uint32 consentEpoch
    );
    event TrainingRunBound(uint256 indexed licenceId, uint256 indexed jobId, uint256 indexed providerId);
    event ModelRoyaltyRegistered(
        bytes32 indexed weightsDigest,
        address indexed vault,
        uint256 indexed agentId,
        address beneficiary,
        uint256[] listingIds,
        uint16[] royaltyBps,
        uint256[] licenceIds
    );
    event RevenueRouted(bytes32 indexed weightsDigest, uint256 amount, uint256 toDatasets, uint256 toBeneficiary);
    event DatasetRoyalty(uint256 indexed listingId, bytes32 indexed weightsDigest, uint256 amount);
    event Credited(
        address indexed account,
        uint256 indexed listingId,
        IDataMarket.CreditReason reason,
        bytes32 ref,
        uint256 amount
    );
    event Withdrawn(address indexed account, address indexed to, uint256 amount);
    event CreditHeld(address indexed account, uint256 held);
    event AgentURISet(uint256 indexed agentId, string uri);

    IDataMarket.LicenceKind internal constant ACCESS = IDataMarket.LicenceKind.Access;
    IDataMarket.LicenceKind internal constant TRAIN = IDataMarket.LicenceKind.Training;
    bytes32 internal constant DIGEST = keccak256("weights");

    function setUp() public {
        _deployData();
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Deployment
    // ─────────────────────────────────────────────────────────────────────────────

    function test_constructor_wiring() public view {
        assertEq(market.identityRegistry(), address(identity));
        assertEq(market.provenanceRegistry(), address(prov));
        assertEq(market.computeMarket(), address(compute));
        assertEq(market.token(), address(token));
        assertEq(licence.market(), address(market));
        assertEq(licence.name(), "Machina Data Licence");
        assertEq(licence.symbol(), "MDL");
        assertEq(ModelRevenueVault(market.vaultImplementation()).market(), address(market));
        assertTrue(market.royaltyExtension() != address(0));
        assertEq(market.SCOPE_TRAINING(), 1 << 31);
        assertEq(market.SCOPE_COMMERCIAL(), 1 << 30);
        assertEq(market.MAX_CONTRIBUTORS(), 32);
        assertEq(market.MAX_PROVIDERS(), 32);
        assertEq(
            market.CONSENT_TYPEHASH(),
            keccak256("Consent(uint256 listingId,address account,bytes32 documentDigest,uint32 scope,uint256 deadline)")
        );
        assertEq(market.listingCount(), 0);
        assertEq(market.licenceCount(), 0);
        assertEq(market.totalCredits(), 0);
        (, string memory name, string memory version,, address verifying,,) = market.eip712Domain();
        assertEq(name, "Machina Data Market");
        assertEq(version, "1");
        assertEq(verifying, address(market));
    }

    function test_constructor_revertsZeroAddress() public {
        address i = address(identity);
        address p = address(prov);
        address c = address(compute);
        address t = address(token);
        vm.expectRevert(IDataMarket.ZeroAddress.selector);
        new DataMarket(address(0), p, c, t);
        vm.expectRevert(IDataMarket.ZeroAddress.selector);
        new DataMarket(i, address(0), c, t);
        vm.expectRevert(IDataMarket.ZeroAddress.selector);
        new DataMarket(i, p, address(0), t);
        vm.expectRevert(IDataMarket.ZeroAddress.selector);
        new DataMarket(i, p, c, address(0));
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // publish
    // ─────────────────────────────────────────────────────────────────────────────

    function test_publish_storesListingTermsContributors() public {
        bytes32 root = _dataset(seller, bytes32(0));
        IDataMarket.PublishParams memory p = _params(root, _contribs(_shares3()));
        vm.expectEmit(address(market));
        emit ListingPublished(1, root, seller, 0, false, 0, p.contributors);
        vm.expectEmit(address(market));
        emit TermsSet(1, p.terms, 0);
        uint256 id = _publish(p);
        assertEq(id, 1);
        assertEq(market.listingCount(), 1);
        assertEq(market.listingOfRoot(root), 1);
        IDataMarket.Listing memory l = market.getListing(1);
        assertEq(l.root, root);
        assertEq(l.parentId, 0);
        assertEq(l.owner, seller);
        assertFalse(l.agentOwned);
        assertTrue(l.active);
        assertEq(l.contributorCount, 3);
        assertEq(l.consentEpoch, 0);
        assertEq(l.createdAt, block.timestamp);
        assertEq(l.sales, 0);
        IDataMarket.Terms memory t = market.getTerms(1);
        assertEq(t.accessPrice, ACCESS_PRICE);
        assertEq(t.trainingPrice, TRAINING_PRICE);
        assertEq(t.royaltyBps, ROYALTY);
        assertEq(t.purposes, RESEARCH | PUBLIC_HEALTH);
        assertEq(t.licenceDuration, 30 days);
        assertEq(t.termsDigest, keccak256("licence text"));
        IDataMarket.Contributor[] memory cs = market.getContributors(1);
        assertEq(cs.length, 3);
        assertEq(cs[1].account, contributors[1]);
        assertEq(cs[1].shareBps, 3_000);
        assertEq(cs[2].recordsRoot, keccak256(abi.encode("records", uint256(2))));
        assertEq(market.getConsent(1, 0).givenAt, 0);
    }

    function test_publish_agentOwned_byOwnerAndByAgentWallet() public {
        vm.prank(seller);
        uint256 agent = identity.register();
        bytes32 root = _dataset(seller, bytes32(0));
        IDataMarket.PublishParams memory p = _params(root, _contribs(_shares3()));
        p.agentOwned = true;
        p.ownerAgentId = agent;
        uint256 id = _publish(p);
        IDataMarket.Listing memory l = market.getListing(id);
        assertTrue(l.agentOwned);
        assertEq(l.ownerAgentId, agent);
        assertEq(l.owner, seller);
        // after the agent moves to a new owner, the new owner manages the listing and the old one cannot
        address newOwner = makeAddr("newOwner");
        vm.prank(seller);
        identity.transferFrom(seller, newOwner, agent);
        vm.prank(newOwner);
        market.setActive(id, false);
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NotListingOwner.selector, id, seller));
        market.setActive(id, true);
    }

    function test_publish_agentOwned_revertsNotAgentOwner() public {
        vm.prank(stranger);
        uint256 agent = identity.register();
        IDataMarket.PublishParams memory p = _params(_dataset(seller, bytes32(0)), _contribs(_shares3()));
        p.agentOwned = true;
        p.ownerAgentId = agent;
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NotAgentOwner.selector, agent, seller));
        market.publish(p);
        p.ownerAgentId = 999; // unknown agent
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NotAgentOwner.selector, 999, seller));
        market.publish(p);
    }

    function test_publish_revertsUnknownDataset() public {
        bytes32 root = keccak256("nope");
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.UnknownDataset.selector, root));
        market.publish(_params(root, _contribs(_shares3())));
    }

    function test_publish_revertsNotRegistrant() public {
        bytes32 root = _dataset(stranger, bytes32(0));
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NotRegistrant.selector, root, seller, stranger));
        market.publish(_params(root, _contribs(_shares3())));
    }

    function test_publish_revertsAlreadyListed() public {
        uint256 id = _listing();
        bytes32 root = market.getListing(id).root;
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.AlreadyListed.selector, root, id));
        market.publish(_params(root, _contribs(_shares3())));
    }

    function test_publish_parent_linksAndChecks() public {
        uint256 v1 = _listing();
        bytes32 root1 = market.getListing(v1).root;
        bytes32 root2 = _dataset(seller, root1);
        IDataMarket.PublishParams memory p = _params(root2, _contribs(_shares3()));
        // the provenance parent is listed: parentId 0 is refused
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.ParentMismatch.selector, 0, root1, bytes32(0)));
        market.publish(p);
        // unknown parent listing
        p.parentId = 77;
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.UnknownListing.selector, 77));
        market.publish(p);
        // a listing that is not the provenance parent
        uint256 other = _listing();
        p.parentId = other;
        bytes32 otherRoot = market.getListing(other).root;
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.ParentMismatch.selector, other, root1, otherRoot));
        market.publish(p);
        p.parentId = v1;
        uint256 v2 = _publish(p);
        assertEq(market.getListing(v2).parentId, v1);
    }

    function test_publish_parentNotListed_allowsZeroParent() public {
        bytes32 root1 = _dataset(seller, bytes32(0));
        bytes32 root2 = _dataset(seller, root1);
        uint256 id = _publish(_params(root2, _contribs(_shares3())));
        assertEq(market.getListing(id).parentId, 0);
    }

    function test_publish_revertsRevokedInParent() public {
        uint256 v1 = _listing();
        _consent(v1, 1, RESEARCH);
        vm.prank(contributors[1]);
        market.revokeConsent(v1);
        IDataMarket.PublishParams memory p =
            _params(_dataset(seller, market.getListing(v1).root), _contribs(_shares3()));
        p.parentId = v1;
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.RevokedInParent.selector, contributors[1]));
        market.publish(p);
        // without the revoked contributor the new version lists
        IDataMarket.Contributor[] memory cs = new IDataMarket.Contributor[](2);
        cs[0] = p.contributors[0];
        cs[1] = p.contributors[2];
        cs[1].shareBps = 5_000;
        p.contributors = cs;
        _publish(p);
    }

    function test_publish_revertsContributorRules() public {
        bytes32 root = _dataset(seller, bytes32(0));
        IDataMarket.PublishParams memory p = _params(root, new IDataMarket.Contributor[](0));
        vm.prank(seller);
        vm.expectRevert(IDataMarket.NoContributors.selector);
        market.publish(p);

        p.contributors = new IDataMarket.Contributor[](33);
        for (uint256 i; i < 33; ++i) {
            p.contributors[i] = IDataMarket.Contributor(address(uint160(0x1000 + i)), 1, bytes32(0));
        }
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.TooManyContributors.selector, 33, 32));
        market.publish(p);

        p.contributors = _contribs(_shares3());
        p.contributors[2].shareBps = 0;
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.ZeroShare.selector, 2));
        market.publish(p);

        p.contributors = _contribs(_shares3());
        p.contributors[2].account = contributors[0];
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.DuplicateContributor.selector, contributors[0]));
        market.publish(p);

        p.contributors = _contribs(_shares3());
        p.contributors[1].account = address(0);
        vm.prank(seller);
        vm.expectRevert(IDataMarket.ZeroAddress.selector);
        market.publish(p);

        p.contributors = _contribs(_shares3());
        p.contributors[2].shareBps = 1_000;
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.SharesNotWhole.selector, 9_000));
        market.publish(p);
    }

    function test_publish_thirtyTwoContributors() public {
        IDataMarket.PublishParams memory p = _params(_dataset(seller, bytes32(0)), new IDataMarket.Contributor[](32));
        for (uint256 i; i < 32; ++i) {
            p.contributors[i] =
                IDataMarket.Contributor(address(uint160(0x1000 + i)), i == 0 ? 10_000 - 31 * 300 : 300, bytes32(i));
        }
        uint256 id = _publish(p);
        assertEq(market.getListing(id).contributorCount, 32);
    }

    function _expectInvalidTerms(IDataMarket.Terms memory t, string memory field, string memory reason) internal {
        IDataMarket.PublishParams memory p = _params(_dataset(seller, bytes32(0)), _contribs(_shares3()));
        p.terms = t;
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.InvalidTerms.selector, field, reason));
        market.publish(p);
    }

    function test_publish_revertsInvalidTerms() public {
        IDataMarket.Terms memory t = _terms();
        t.royaltyBps = 10_001;
        _expectInvalidTerms(t, "royaltyBps", "must be at most 10000 (100%)");
        t = _terms();
        t.purposes = 0;
        _expectInvalidTerms(t, "purposes", "must allow at least one purpose");
        t.purposes = RESEARCH | TRAINING;
        _expectInvalidTerms(t, "purposes", "bits 30 and 31 are reserved");
        t = _terms();
        t.computeOnly = true;
        t.trainingAllowed = false;
        _expectInvalidTerms(t, "computeOnly", "a compute-only listing must allow training");
        t = _terms();
        t.expiry = uint40(block.timestamp);
        _expectInvalidTerms(t, "expiry", "must be in the future");
        t = _terms();
        t.allowedProviders = new uint256[](33);
        _expectInvalidTerms(t, "allowedProviders", "at most 32");
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // setTerms / setActive
    // ─────────────────────────────────────────────────────────────────────────────

    function test_setTerms_replacesAndKeepsSoldLicences() public {
        uint256 id = _consentedListing();
        uint256 lic = _buy(id, TRAIN, RESEARCH);
        IDataMarket.Terms memory t = _terms();
        t.trainingPrice = 1e6;
        t.royaltyBps = 2_500;
        t.allowedProviders = _ids(providerId);
        vm.expectEmit(address(market));
        emit TermsSet(id, t, 4); // 3 consents, then this terms change
        vm.prank(seller);
        market.setTerms(id, t);
        assertEq(market.getListing(id).consentEpoch, 4);
        IDataMarket.Terms memory s = market.getTerms(id);
        assertEq(s.trainingPrice, 1e6);
        assertEq(s.royaltyBps, 2_500);
        assertEq(s.allowedProviders.length, 1);
        assertEq(market.getLicence(lic).royaltyBps, ROYALTY);
        assertEq(market.getLicence(lic).price, TRAINING_PRICE);
    }

    function test_setTerms_reverts() public {
        uint256 id = _listing();
        IDataMarket.Terms memory t = _terms();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NotListingOwner.selector, id, stranger));
        market.setTerms(id, t);
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.UnknownListing.selector, 9));
        market.setTerms(9, t);
        t.royaltyBps = 20_000;
        vm.prank(seller);
        vm.expectRevert(
            abi.encodeWithSelector(IDataMarket.InvalidTerms.selector, "royaltyBps", "must be at most 10000 (100%)")
        );
        market.setTerms(id, t);
    }

    function test_setActive_delistsAndRelists() public {
        uint256 id = _consentedListing();
        vm.expectEmit(address(market));
        emit ListingActiveSet(id, false);
        vm.prank(seller);
        market.setActive(id, false);
        assertFalse(market.getListing(id).active);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.ListingInactive.selector, id));
        market.quote(id, ACCESS, RESEARCH);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.ListingInactive.selector, id));
        market.buy(id, ACCESS, RESEARCH, type(uint256).max, 3);
        vm.prank(seller);
        market.setActive(id, true);
        _buy(id, ACCESS, RESEARCH);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NotListingOwner.selector, id, stranger));
        market.setActive(id, false);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Consent
    // ─────────────────────────────────────────────────────────────────────────────

    function test_giveConsent_storesAndBumpsEpoch() public {
        uint256 id = _listing();
        bytes32 doc = keccak256("form");
        vm.expectEmit(address(market));
        emit ConsentGiven(id, 1, contributors[1], doc, RESEARCH | TRAINING, 1);
        vm.prank(contributors[1]);
        market.giveConsent(id, doc, RESEARCH | TRAINING);
        IDataMarket.Consent memory c = market.getConsent(id, 1);
        assertEq(c.documentDigest, doc);
        assertEq(c.scope, RESEARCH | TRAINING);
        assertEq(c.givenAt, block.timestamp);
        assertEq(c.revokedAt, 0);
        assertEq(market.getListing(id).consentEpoch, 1);
    }

    function test_giveConsent_reverts() public {
        uint256 id = _listing();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NotContributor.selector, id, stranger));
        market.giveConsent(id, bytes32(0), RESEARCH);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.UnknownListing.selector, 5));
        market.giveConsent(5, bytes32(0), RESEARCH);
        _consent(id, 0, RESEARCH);
        vm.prank(contributors[0]);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.ConsentAlreadyGiven.selector, id, 0));
        market.giveConsent(id, bytes32(0), RESEARCH);
        vm.prank(contributors[0]);
        market.revokeConsent(id);
        vm.prank(contributors[0]);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.ConsentAlreadyRevoked.selector, id, 0));
        market.giveConsent(id, bytes32(0), RESEARCH);
    }

    function test_giveConsentBySig_eoa() public {
        uint256 id = _listing();
        bytes32 doc = keccak256("form");
        uint256 deadline = block.timestamp + 1 hours;
        bytes memory sig = _signConsent(contributorKeys[2], id, contributors[2], doc, RESEARCH, deadline);
        vm.expectEmit(address(market));
        emit ConsentGiven(id, 2, contributors[2], doc, RESEARCH, 1);
        vm.prank(stranger);
        market.giveConsentBySig(id, contributors[2], doc, RESEARCH, deadline, sig);
        assertEq(market.getConsent(id, 2).scope, RESEARCH);
        // no replay: a consent is given once
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.ConsentAlreadyGiven.selector, id, 2));
        market.giveConsentBySig(id, contributors[2], doc, RESEARCH, deadline, sig);
    }

    function test_giveConsentBySig_erc1271() public {
        (address key, uint256 pk) = makeAddrAndKey("wallet-key");
        DataTestWallet wallet = new DataTestWallet(key);
        IDataMarket.PublishParams memory p = _params(_dataset(seller, bytes32(0)), _contribs(_shares3()));
        p.contributors[0].account = address(wallet);
        uint256 id = _publish(p);
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _signConsent(pk, id, address(wallet), bytes32("doc"), RESEARCH, deadline);
        market.giveConsentBySig(id, address(wallet), bytes32("doc"), RESEARCH, deadline, sig);
        assertEq(market.getConsent(id, 0).givenAt, block.timestamp);
    }

    function test_giveConsentBySig_reverts() public {
        uint256 id = _listing();
        uint256 deadline = block.timestamp + 60;
        bytes memory sig = _signConsent(contributorKeys[0], id, contributors[0], bytes32("doc"), RESEARCH, deadline);
        // another scope than signed
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.InvalidConsentSignature.selector, contributors[0]));
        market.giveConsentBySig(id, contributors[0], bytes32("doc"), RESEARCH | TRAINING, deadline, sig);
        // signed by someone else
        bytes memory other = _signConsent(buyerKey, id, contributors[0], bytes32("doc"), RESEARCH, deadline);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.InvalidConsentSignature.selector, contributors[0]));
        market.giveConsentBySig(id, contributors[0], bytes32("doc"), RESEARCH, deadline, other);
        // expired
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.SignatureExpired.selector, deadline));
        market.giveConsentBySig(id, contributors[0], bytes32("doc"), RESEARCH, deadline, sig);
        // not a contributor
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NotContributor.selector, id, stranger));
        market.giveConsentBySig(id, stranger, bytes32("doc"), RESEARCH, deadline, sig);
    }

    function test_revokeConsent_finalAndBumpsEpoch() public {
        uint256 id = _consentedListing();
        vm.warp(block.timestamp + 10);
        vm.expectEmit(address(market));
        emit ConsentRevoked(id, 1, contributors[1], 4);
        vm.prank(contributors[1]);
        market.revokeConsent(id);
        assertEq(market.getConsent(id, 1).revokedAt, block.timestamp);
        assertEq(market.getListing(id).consentEpoch, 4);
        vm.prank(contributors[1]);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.ConsentAlreadyRevoked.selector, id, 1));
        market.revokeConsent(id);
    }

    function test_revokeConsent_reverts() public {
        uint256 id = _listing();
        vm.prank(contributors[0]);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.ConsentNotGiven.selector, id, 0));
        market.revokeConsent(id);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NotContributor.selector, id, stranger));
        market.revokeConsent(id);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // quote / buy
    // ─────────────────────────────────────────────────────────────────────────────

    function test_quote_coverageByScope() public {
        IDataMarket.PublishParams memory p = _params(_dataset(seller, bytes32(0)), _contribs(_shares3()));
        p.terms.commercialUse = false;
        uint256 id = _publish(p);
        _consent(id, 0, RESEARCH);
        _consent(id, 1, RESEARCH | PUBLIC_HEALTH | TRAINING);
        _consent(id, 2, PUBLIC_HEALTH | TRAINING | COMMERCIAL);
        (uint256 price, uint256 mask, uint32 epoch) = market.quote(id, ACCESS, RESEARCH);
        assertEq(price, ACCESS_PRICE);
        assertEq(mask, 3);
        assertEq(epoch, 3);
        (price, mask,) = market.quote(id, TRAIN, PUBLIC_HEALTH);
        assertEq(price, TRAINING_PRICE);
        assertEq(mask, 6);
        (, mask,) = market.quote(id, TRAIN, RESEARCH | PUBLIC_HEALTH);
        assertEq(mask, 2);
        // commercial terms need SCOPE_COMMERCIAL
        IDataMarket.Terms memory t = _terms();
        t.commercialUse = true;
        vm.prank(seller);
        market.setTerms(id, t);
        (, mask,) = market.quote(id, ACCESS, PUBLIC_HEALTH);
        assertEq(mask, 4);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NoConsentingContributor.selector, id));
        market.quote(id, ACCESS, RESEARCH);
    }

    function test_buy_splitsPriceByShare() public {
        uint256 id = _consentedListing();
        vm.expectEmit(address(market));
        emit LicenceIssued(1, id, buyer, ACCESS, RESEARCH, ACCESS_PRICE, uint40(block.timestamp + 30 days), 7, 3);
        vm.expectEmit(address(market));
        emit Credited(contributors[1], id, IDataMarket.CreditReason.Sale, bytes32(uint256(1)), 30e6);
        vm.expectEmit(address(market));
        emit Credited(contributors[2], id, IDataMarket.CreditReason.Sale, bytes32(uint256(1)), 20e6);
        vm.expectEmit(address(market));
        emit Credited(contributors[0], id, IDataMarket.CreditReason.Sale, bytes32(uint256(1)), 50e6);
        uint256 lic = _buy(id, ACCESS, RESEARCH);
        assertEq(lic, 1);
        assertEq(token.balanceOf(address(market)), ACCESS_PRICE);
        assertEq(market.totalCredits(), ACCESS_PRICE);
        assertEq(market.creditOf(contributors[0]), 50e6);
        assertEq(market.creditOf(contributors[1]), 30e6);
        assertEq(market.creditOf(contributors[2]), 20e6);
        IDataMarket.Licence memory l = market.getLicence(lic);
        assertEq(l.listingId, id);
        assertEq(uint8(l.kind), uint8(ACCESS));
        assertEq(l.purposes, RESEARCH);
        assertTrue(l.commercial);
        assertEq(l.royaltyBps, ROYALTY);
        assertEq(l.issuedAt, block.timestamp);
        assertEq(l.expiresAt, block.timestamp + 30 days);
        assertEq(l.consentEpoch, 3);
        assertEq(l.includedMask, 7);
        assertEq(l.price, ACCESS_PRICE);
        assertEq(market.holderOf(lic), buyer);
        assertEq(licence.ownerOf(lic), buyer);
        assertTrue(market.isLicenceValid(lic));
        assertEq(market.getListing(id).sales, 1);
        assertEq(market.getListing(id).revenue, ACCESS_PRICE);
        assertEq(market.licenceCount(), 1);
    }

    function test_buy_partialCoverage_firstCoveredTakesRemainder() public {
        uint256 id = _listing();
        _consent(id, 1, RESEARCH);
        _consent(id, 2, RESEARCH);
        IDataMarket.Terms memory t = _terms();
        t.accessPrice = 100; // 3000 : 2000 of 100 → 60 / 40; with 101 → 61 / 40
        t.accessPrice = 101;
        t.commercialUse = false;
        vm.prank(seller);
        market.setTerms(id, t);
        uint256 lic = _buy(id, ACCESS, RESEARCH);
        assertEq(market.getLicence(lic).includedMask, 6);
        assertEq(market.creditOf(contributors[0]), 0);
        assertEq(market.creditOf(contributors[1]), 61);
        assertEq(market.creditOf(contributors[2]), 40);
        _assertSolvent();
    }

    function test_buy_freeLicence() public {
        uint256 id = _consentedListing();
        IDataMarket.Terms memory t = _terms();
        t.accessPrice = 0;
        vm.prank(seller);
        market.setTerms(id, t);
        uint256 before = token.balanceOf(buyer);
        uint256 lic = _buy(id, ACCESS, RESEARCH);
        assertEq(token.balanceOf(buyer), before);
        assertEq(market.getLicence(lic).price, 0);
        assertEq(market.totalCredits(), 0);
    }

    function test_buy_licenceEnd() public {
        uint256 id = _consentedListing();
        IDataMarket.Terms memory t = _terms();
        // duration only
        assertEq(market.getLicence(_buy(id, ACCESS, RESEARCH)).expiresAt, block.timestamp + 30 days);
        // expiry earlier than now + duration
        t.expiry = uint40(block.timestamp + 10 days);
        vm.prank(seller);
        market.setTerms(id, t);
        assertEq(market.getLicence(_buy(id, ACCESS, RESEARCH)).expiresAt, block.timestamp + 10 days);
        // duration 0 = until expiry
        t.licenceDuration = 0;
        vm.prank(seller);
        market.setTerms(id, t);
        assertEq(market.getLicence(_buy(id, ACCESS, RESEARCH)).expiresAt, block.timestamp + 10 days);
        // neither: no end
        t.expiry = 0;
        vm.prank(seller);
        market.setTerms(id, t);
        uint256 forever = _buy(id, ACCESS, RESEARCH);
        assertEq(market.getLicence(forever).expiresAt, 0);
        vm.warp(block.timestamp + 3650 days);
        assertTrue(market.isLicenceValid(forever));
        assertFalse(market.isLicenceValid(1));
        assertFalse(market.isLicenceValid(99));
    }

    function test_buy_revertsTermsExpired() public {
        uint256 id = _consentedListing();
        IDataMarket.Terms memory t = _terms();
        t.expiry = uint40(block.timestamp + 100);
        vm.prank(seller);
        market.setTerms(id, t);
        vm.warp(block.timestamp + 100);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.TermsExpired.selector, id, t.expiry));
        market.buy(id, ACCESS, RESEARCH, type(uint256).max, 3);
    }

    function test_buy_revertsKindNotOffered() public {
        uint256 id = _consentedListing();
        IDataMarket.Terms memory t = _terms();
        t.computeOnly = true;
        t.allowedProviders = _ids(providerId);
        vm.prank(seller);
        market.setTerms(id, t);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.AccessNotOffered.selector, id));
        market.buy(id, ACCESS, RESEARCH, type(uint256).max, 3);
        t.computeOnly = false;
        t.trainingAllowed = false;
        vm.prank(seller);
        market.setTerms(id, t);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.TrainingNotAllowed.selector, id));
        market.buy(id, TRAIN, RESEARCH, type(uint256).max, 3);
    }

    function test_buy_revertsPurposesNotAllowed() public {
        uint256 id = _consentedListing();
        vm.prank(buyer);
        vm.expectRevert(
            abi.encodeWithSelector(IDataMarket.PurposesNotAllowed.selector, CLINICAL, RESEARCH | PUBLIC_HEALTH)
        );
        market.buy(id, ACCESS, CLINICAL, type(uint256).max, 3);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.PurposesNotAllowed.selector, 0, RESEARCH | PUBLIC_HEALTH));
        market.buy(id, ACCESS, 0, type(uint256).max, 3);
    }

    function test_buy_revertsConsentChanged_revokedBetweenQuoteAndBuy() public {
        uint256 id = _consentedListing();
        (uint256 price,, uint32 epoch) = market.quote(id, ACCESS, RESEARCH);
        vm.prank(contributors[2]);
        market.revokeConsent(id);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.ConsentChanged.selector, id, epoch, epoch + 1));
        market.buy(id, ACCESS, RESEARCH, price, epoch);
        // quoting again: the revoked contributor is left out
        uint256 lic = _buy(id, ACCESS, RESEARCH);
        assertEq(market.getLicence(lic).includedMask, 3);
        assertEq(market.creditOf(contributors[2]), 0);
        assertEq(market.creditOf(contributors[0]), 62_500_000);
        assertEq(market.creditOf(contributors[1]), 37_500_000);
    }

    function test_buy_revertsNoConsentingContributor() public {
        uint256 id = _listing();
        _consent(id, 0, RESEARCH); // no TRAINING scope
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NoConsentingContributor.selector, id));
        market.buy(id, TRAIN, RESEARCH, type(uint256).max, 1);
    }

    function test_buy_revertsPriceAboveMax() public {
        uint256 id = _consentedListing();
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.PriceAboveMax.selector, ACCESS_PRICE, ACCESS_PRICE - 1));
        market.buy(id, ACCESS, RESEARCH, ACCESS_PRICE - 1, 3);
    }

    function test_buy_revertsUnknownListing() public {
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.UnknownListing.selector, 4));
        market.buy(4, ACCESS, RESEARCH, 0, 0);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Licence token
    // ─────────────────────────────────────────────────────────────────────────────

    function test_licence_nonTransferable() public {
        uint256 lic = _buy(_consentedListing(), ACCESS, RESEARCH);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(DataLicence.NonTransferable.selector, lic));
        licence.transferFrom(buyer, stranger, lic);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(DataLicence.NonTransferable.selector, lic));
        licence.safeTransferFrom(buyer, stranger, lic);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(DataLicence.NonTransferable.selector, lic));
        licence.approve(stranger, lic);
        vm.prank(buyer);
        vm.expectRevert(DataLicence.ApprovalsDisabled.selector);
        licence.setApprovalForAll(stranger, true);
        assertTrue(licence.locked(lic));
        assertTrue(licence.supportsInterface(0xb45a3c0e));
        assertTrue(licence.supportsInterface(0x80ac58cd));
        assertEq(licence.tokenURI(lic), "");
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721NonexistentToken.selector, 42));
        licence.locked(42);
    }

    function test_licence_mintOnlyByMarket() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(DataLicence.NotMarket.selector, stranger));
        licence.mint(stranger, 1);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // bindTrainingRun
    // ─────────────────────────────────────────────────────────────────────────────

    function test_bind_offeredJob() public {
        uint256 lic = _buy(_consentedListing(), TRAIN, RESEARCH);
        uint256 jobId = _offeredJob();
        vm.expectEmit(address(market));
        emit TrainingRunBound(lic, jobId, providerId);
        vm.prank(buyer);
        market.bindTrainingRun(lic, jobId, providerId);
        IDataMarket.Licence memory l = market.getLicence(lic);
        assertEq(l.jobId, jobId);
        assertEq(l.providerId, providerId);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.LicenceAlreadyBound.selector, lic, jobId));
        market.bindTrainingRun(lic, jobId, providerId);
    }

    function test_bind_assignedJob_andAllowedProvider() public {
        uint256 id = _consentedListing();
        IDataMarket.Terms memory t = _terms();
        t.allowedProviders = _ids(providerId);
        vm.prank(seller);
        market.setTerms(id, t);
        uint256 lic = _buy(id, TRAIN, RESEARCH);
        uint256 jobId = _offeredJob();
        vm.prank(operator);
        compute.accept(jobId, providerId);
        assertEq(compute.getOffer(jobId, providerId), 0);
        vm.prank(buyer);
        market.bindTrainingRun(lic, jobId, providerId);
        assertEq(market.getLicence(lic).jobId, jobId);
    }

    function test_bind_revertsLicenceChecks() public {
        uint256 id = _consentedListing();
        uint256 access = _buy(id, ACCESS, RESEARCH);
        uint256 lic = _buy(id, TRAIN, RESEARCH);
        uint256 jobId = _offeredJob();
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.UnknownLicence.selector, 99));
        market.bindTrainingRun(99, jobId, providerId);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NotLicenceHolder.selector, lic, stranger));
        market.bindTrainingRun(lic, jobId, providerId);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.WrongLicenceKind.selector, access, TRAIN));
        market.bindTrainingRun(access, jobId, providerId);
        vm.warp(block.timestamp + 30 days);
        uint40 expiresAt = market.getLicence(lic).expiresAt;
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.LicenceExpired.selector, lic, expiresAt));
        market.bindTrainingRun(lic, jobId, providerId);
    }

    function test_bind_revertsLicenceAlreadyUsed() public {
        uint256 id = _consentedListing();
        uint256 lic = _buy(id, TRAIN, RESEARCH);
        _registerModel(DIGEST, _roots(market.getListing(id).root), 0);
        _royalty(DIGEST, _ids(lic));
        uint256 jobId = _offeredJob();
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.LicenceAlreadyUsed.selector, lic, DIGEST));
        market.bindTrainingRun(lic, jobId, providerId);
    }

    function test_bind_revertsJobChecks() public {
        uint256 id = _consentedListing();
        uint256 lic = _buy(id, TRAIN, RESEARCH);
        // unknown job
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.JobNotYours.selector, 42, address(0)));
        market.bindTrainingRun(lic, 42, providerId);
        // someone else's job
        _fund(stranger, 100e6);
        vm.prank(stranger);
        uint256 theirs = compute.postJob(_spec(true));
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.JobNotYours.selector, theirs, stranger));
        market.bindTrainingRun(lic, theirs, providerId);
        // an auction job
        vm.prank(buyer);
        uint256 auction = compute.postJob(_spec(false));
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.JobNotDirect.selector, auction));
        market.bindTrainingRun(lic, auction, providerId);
        // a cancelled job
        vm.prank(buyer);
        uint256 cancelled = compute.postJob(_spec(true));
        vm.prank(buyer);
        compute.cancel(cancelled);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.JobNotRunnable.selector, cancelled));
        market.bindTrainingRun(lic, cancelled, providerId);
    }

    function test_bind_revertsProviderChecks() public {
        uint256 id = _consentedListing();
        uint256 lic = _buy(id, TRAIN, RESEARCH);
        uint256 jobId = _offeredJob();
        // a provider not offered the job
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.ProviderNotOffered.selector, jobId, providerId + 1));
        market.bindTrainingRun(lic, jobId, providerId + 1);
        // terms name other providers
        IDataMarket.Terms memory t = _terms();
        t.allowedProviders = _ids(providerId + 5, providerId + 6);
        vm.prank(seller);
        market.setTerms(id, t);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.ProviderNotAllowed.selector, id, providerId));
        market.bindTrainingRun(lic, jobId, providerId);
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // registerModelRoyalty
    // ─────────────────────────────────────────────────────────────────────────────

    function _twoListings() internal returns (uint256 a, uint256 b, uint256 la, uint256 lb) {
        a = _consentedListing();
        b = _consentedListing();
        la = _buy(a, TRAIN, RESEARCH);
        lb = _buy(b, TRAIN, RESEARCH);
    }

    function _predictVault(bytes32 digest) internal view returns (address) {
        return vm.computeCreate2Address(
            digest,
            keccak256(
                abi.encodePacked(
                    hex"3d602d80600a3d3981f3363d3d373d3d3d363d73",
                    market.vaultImplementation(),
                    hex"5af43d82803e903d91602b57fd5bf3"
                )
            ),
            address(market)
        );
    }

    function test_registerModelRoyalty_deploysVaultAndAgent() public {
        (uint256 a, uint256 b, uint256 la, uint256 lb) = _twoListings();
        {
            bytes32[] memory roots = new bytes32[](4);
            roots[0] = market.getListing(b).root;
            roots[1] = _dataset(stranger, bytes32(0)); // not listed
            roots[2] = market.getListing(a).root;
            roots[3] = roots[0]; // a duplicate root counts once
            _registerModel(DIGEST, roots, 0);
        }
        uint16[] memory bps = new uint16[](2);
        bps[0] = ROYALTY;
        bps[1] = ROYALTY;
        address predicted = _predictVault(DIGEST);
        uint256 nextAgent = identity.totalAgents();
        vm.expectEmit(address(market));
        emit ModelRoyaltyRegistered(DIGEST, predicted, nextAgent, beneficiary, _ids(b, a), bps, _ids(la, lb));
        (address vault, uint256 agentId) = _royalty(DIGEST, _ids(la, lb));
        assertEq(vault, predicted);
        assertEq(agentId, nextAgent);
        assertEq(identity.ownerOf(agentId), vault);
        assertEq(identity.tokenURI(agentId), "data:serving-agent");
        assertEq(identity.getAgentWallet(agentId), vault);
        IModelRevenueVault v = IModelRevenueVault(vault);
        assertEq(v.market(), address(market));
        assertEq(v.weightsDigest(), DIGEST);
        assertEq(v.agentId(), agentId);
        IDataMarket.ModelRoyalty memory r = market.getModelRoyalty(DIGEST);
        assertEq(r.vault, vault);
        assertEq(r.agentId, agentId);
        assertEq(r.beneficiary, beneficiary);
        assertEq(r.revenue, 0);
        assertEq(r.listingIds.length, 2);
        assertEq(r.listingIds[0], b);
        assertEq(r.listingIds[1], a);
        assertEq(r.royaltyBps[0], ROYALTY);
        assertEq(r.paid.length, 2);
        assertEq(market.getLicence(la).model, DIGEST);
        assertEq(market.getLicence(lb).model, DIGEST);
    }

    function test_registerModelRoyalty_boundLicenceAndAgentWalletCaller() public {
        uint256 id = _consentedListing();
        uint256 lic = _buy(id, TRAIN, RESEARCH);
        uint256 jobId = _offeredJob();
        vm.prank(buyer);
        market.bindTrainingRun(lic, jobId, providerId);
        _registerModel(DIGEST, _roots(market.getListing(id).root), jobId);
        // the trainer's agentWallet (a key proven to the registry) registers; the licence is held by the owner
        (address walletKey, uint256 walletPk) = makeAddrAndKey("trainer-wallet");
        uint256 deadline = block.timestamp + 60;
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)"),
                trainerAgent,
                walletKey,
                buyer,
                deadline
            )
        );
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("ERC8004IdentityRegistry"),
                keccak256("1"),
                block.chainid,
                address(identity)
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(walletPk, keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
        vm.prank(buyer);
        identity.setAgentWallet(trainerAgent, walletKey, deadline, abi.encodePacked(r, s, v));
        vm.prank(walletKey);
        (address vault,) = market.registerModelRoyalty(DIGEST, _ids(lic), beneficiary, "");
        assertTrue(vault != address(0));
    }

    function test_registerModelRoyalty_noListedDatasets() public {
        _registerModel(DIGEST, _roots(_dataset(stranger, bytes32(0))), 0);
        (address vault,) = _royalty(DIGEST, new uint256[](0));
        _payVault(DIGEST, 777);
        market.routeRevenue(DIGEST);
        assertEq(market.creditOf(beneficiary), 777);
        assertEq(token.balanceOf(vault), 0);
    }

    function test_registerModelRoyalty_revertsModelChecks() public {
        uint256 id = _consentedListing();
        uint256 lic = _buy(id, TRAIN, RESEARCH);
        vm.prank(buyer);
        vm.expectRevert(IDataMarket.ZeroAddress.selector);
        market.registerModelRoyalty(DIGEST, _ids(lic), address(0), "");
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.UnknownModel.selector, DIGEST));
        market.registerModelRoyalty(DIGEST, _ids(lic), beneficiary, "");
        _registerModel(DIGEST, _roots(market.getListing(id).root), 0);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NotTrainer.selector, DIGEST, stranger));
        market.registerModelRoyalty(DIGEST, _ids(lic), beneficiary, "");
        _royalty(DIGEST, _ids(lic));
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.ModelRoyaltyExists.selector, DIGEST));
        market.registerModelRoyalty(DIGEST, _ids(lic), beneficiary, "");
    }

    function test_registerModelRoyalty_revertsLicenceChecks() public {
        (uint256 a, uint256 b, uint256 la, uint256 lb) = _twoListings();
        bytes32 ra = market.getListing(a).root;
        bytes32 rb = market.getListing(b).root;
        uint256 access = _buy(a, ACCESS, RESEARCH);
        _registerModel(DIGEST, _roots(ra, rb), 0);

        vm.startPrank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.UnknownLicence.selector, 77));
        market.registerModelRoyalty(DIGEST, _ids(77), beneficiary, "");
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.WrongLicenceKind.selector, access, TRAIN));
        market.registerModelRoyalty(DIGEST, _ids(access, lb), beneficiary, "");
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.MissingLicence.selector, DIGEST, rb));
        market.registerModelRoyalty(DIGEST, _ids(la), beneficiary, "");
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.LicenceAlreadyUsed.selector, la, DIGEST));
        market.registerModelRoyalty(DIGEST, _ids(la, la), beneficiary, "");
        vm.stopPrank();

        // a second licence for the same dataset
        uint256 la2 = _buy(a, TRAIN, RESEARCH);
        uint256 c = _consentedListing();
        uint256 lc = _buy(c, TRAIN, RESEARCH);
        vm.warp(block.timestamp + 1);
        bytes32 d2 = keccak256("weights-2");
        _registerModel(d2, _roots(ra), 0);
        vm.startPrank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.LicenceNotInLineage.selector, la2));
        market.registerModelRoyalty(d2, _ids(la, la2), beneficiary, "");
        // a licence for a dataset outside the lineage
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.LicenceNotInLineage.selector, lc));
        market.registerModelRoyalty(d2, _ids(la, lc), beneficiary, "");
        vm.stopPrank();
    }

    function test_registerModelRoyalty_revertsNotLicenceHolder() public {
        uint256 id = _consentedListing();
        _fund(stranger, 1_000e6);
        (uint256 price,, uint32 epoch) = market.quote(id, TRAIN, RESEARCH);
        vm.prank(stranger);
        uint256 lic = market.buy(id, TRAIN, RESEARCH, price, epoch);
        _registerModel(DIGEST, _roots(market.getListing(id).root), 0);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NotLicenceHolder.selector, lic, buyer));
        market.registerModelRoyalty(DIGEST, _ids(lic), beneficiary, "");
    }

    function test_registerModelRoyalty_revertsLicenceJobMismatch() public {
        uint256 id = _consentedListing();
        uint256 lic = _buy(id, TRAIN, RESEARCH);
        uint256 jobId = _offeredJob();
        vm.prank(buyer);
        market.bindTrainingRun(lic, jobId, providerId);
        _registerModel(DIGEST, _roots(market.getListing(id).root), 0);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.LicenceJobMismatch.selector, lic, jobId, 0));
        market.registerModelRoyalty(DIGEST, _ids(lic), beneficiary, "");
    }

    function test_registerModelRoyalty_revertsLicenceAfterModel() public {
        uint256 id = _consentedListing();
        bytes32 root = market.getListing(id).root;
        // issued after the model
        _registerModel(DIGEST, _roots(root), 0);
        vm.warp(block.timestamp + 1);
        uint256 late = _buy(id, TRAIN, RESEARCH);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.LicenceAfterModel.selector, late));
        market.registerModelRoyalty(DIGEST, _ids(late), beneficiary, "");
        // expired before the model
        uint256 early = _buy(id, TRAIN, RESEARCH);
        vm.warp(block.timestamp + 30 days);
        bytes32 d2 = keccak256("weights-2");
        _registerModel(d2, _roots(root), 0);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.LicenceAfterModel.selector, early));
        market.registerModelRoyalty(d2, _ids(early), beneficiary, "");
    }

    function test_registerModelRoyalty_revertsRoyaltyOverflow() public {
        IDataMarket.Terms memory t = _terms();
        t.royaltyBps = 6_000;
        uint256 a = _consentedListing();
        uint256 b = _consentedListing();
        vm.startPrank(seller);
        market.setTerms(a, t);
        market.setTerms(b, t);
        vm.stopPrank();
        uint256 la = _buy(a, TRAIN, RESEARCH);
        uint256 lb = _buy(b, TRAIN, RESEARCH);
        _registerModel(DIGEST, _roots(market.getListing(a).root, market.getListing(b).root), 0);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.RoyaltyOverflow.selector, 12_000));
        market.registerModelRoyalty(DIGEST, _ids(la, lb), beneficiary, "");
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // routeRevenue / withdraw
    // ─────────────────────────────────────────────────────────────────────────────

    function test_routeRevenue_twoDatasets() public {
        (uint256 a, uint256 b, uint256 la, uint256 lb) = _twoListings();
        _registerModel(DIGEST, _roots(market.getListing(a).root, market.getListing(b).root), 0);
        (address vault,) = _royalty(DIGEST, _ids(la, lb));
        uint256 saleCredits0 = market.creditOf(contributors[0]);
        _payVault(DIGEST, 1_000e6);
        vm.expectEmit(address(market));
        emit DatasetRoyalty(a, DIGEST, 100e6);
        vm.expectEmit(address(market));
        emit Credited(contributors[1], a, IDataMarket.CreditReason.Royalty, DIGEST, 30e6);
        vm.expectEmit(address(market));
        emit Credited(contributors[2], a, IDataMarket.CreditReason.Royalty, DIGEST, 20e6);
        vm.expectEmit(address(market));
        emit Credited(contributors[0], a, IDataMarket.CreditReason.Royalty, DIGEST, 50e6);
        vm.expectEmit(address(market));
        emit DatasetRoyalty(b, DIGEST, 100e6);
        vm.expectEmit(address(market));
        emit Credited(contributors[1], b, IDataMarket.CreditReason.Royalty, DIGEST, 30e6);
        vm.expectEmit(address(market));
        emit Credited(contributors[2], b, IDataMarket.CreditReason.Royalty, DIGEST, 20e6);
        vm.expectEmit(address(market));
        emit Credited(contributors[0], b, IDataMarket.CreditReason.Royalty, DIGEST, 50e6);
        vm.expectEmit(address(market));
        emit Credited(beneficiary, 0, IDataMarket.CreditReason.ModelRevenue, DIGEST, 800e6);
        vm.expectEmit(address(market));
        emit RevenueRouted(DIGEST, 1_000e6, 200e6, 800e6);
        market.routeRevenue(DIGEST);
        assertEq(token.balanceOf(vault), 0);
        assertEq(market.creditOf(contributors[0]), saleCredits0 + 100e6);
        assertEq(market.creditOf(beneficiary), 800e6);
        assertEq(market.getListing(a).royalties, 100e6);
        assertEq(market.royaltyPaidTo(a, 0), 50e6);
        assertEq(market.royaltyPaidTo(a, 1), 30e6);
        assertEq(market.royaltyPaidTo(a, 2), 20e6);
        assertEq(market.royaltyPaidTo(a, 3), 0);
        IDataMarket.ModelRoyalty memory r = market.getModelRoyalty(DIGEST);
        assertEq(r.revenue, 1_000e6);
        assertEq(r.paid[0], 100e6);
        assertEq(r.paid[1], 100e6);
        _assertSolvent();
        // an empty vault routes nothing
        assertEq(market.routeRevenue(DIGEST), 0);
    }

    function test_routeRevenue_revokedContributorKeepsRoyalties() public {
        uint256 id = _consentedListing();
        uint256 lic = _buy(id, TRAIN, RESEARCH);
        _registerModel(DIGEST, _roots(market.getListing(id).root), 0);
        _royalty(DIGEST, _ids(lic));
        vm.prank(contributors[2]);
        market.revokeConsent(id);
        uint256 before = market.creditOf(contributors[2]);
        _payVault(DIGEST, 1_000e6);
        market.routeRevenue(DIGEST);
        assertEq(market.creditOf(contributors[2]) - before, 20e6);
    }

    function test_routeRevenue_holdsResidualDust() public {
        // shares 2 / 4999 / 4999 bps and 100 % royalty: D = 2 → contributor 0 entitled to 2, D = 3 → 1
        uint16[] memory shares = new uint16[](3);
        shares[0] = 2;
        shares[1] = 4_999;
        shares[2] = 4_999;
        IDataMarket.PublishParams memory p = _params(_dataset(seller, bytes32(0)), _contribs(shares));
        p.terms.royaltyBps = 10_000;
        p.terms.trainingPrice = 0;
        uint256 id = _publish(p);
        for (uint256 i; i < 3; ++i) {
            _consent(id, i, RESEARCH | TRAINING | COMMERCIAL);
        }
        uint256 lic = _buy(id, TRAIN, RESEARCH);
        _registerModel(DIGEST, _roots(p.root), 0);
        _royalty(DIGEST, _ids(lic));

        _payVault(DIGEST, 2);
        vm.expectEmit(address(market));
        emit CreditHeld(contributors[0], 1);
        market.routeRevenue(DIGEST);
        assertEq(market.creditOf(contributors[0]), 2);
        assertEq(market.withdrawableOf(contributors[0]), 1);
        assertEq(market.heldOf(contributors[0]), 1);
        assertEq(market.royaltyPaidTo(id, 0), 2);
        _assertSolvent();

        _payVault(DIGEST, 1);
        market.routeRevenue(DIGEST);
        assertEq(market.creditOf(contributors[0]), 1);
        assertEq(market.heldOf(contributors[0]), 0);
        assertEq(market.creditOf(contributors[1]), 1);
        assertEq(market.creditOf(contributors[2]), 1);
        _assertSolvent();

        vm.prank(contributors[0]);
        assertEq(market.withdraw(), 1);
        vm.prank(contributors[0]);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NothingToWithdraw.selector, contributors[0]));
        market.withdraw();
    }

    function test_routeRevenue_revertsUnknownModelRoyalty() public {
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.UnknownModelRoyalty.selector, DIGEST));
        market.routeRevenue(DIGEST);
    }

    function test_withdraw_paysAndEmits() public {
        _buy(_consentedListing(), ACCESS, RESEARCH);
        vm.expectEmit(address(market));
        emit Withdrawn(contributors[1], contributors[1], 30e6);
        vm.prank(contributors[1]);
        assertEq(market.withdraw(), 30e6);
        assertEq(token.balanceOf(contributors[1]), 30e6);
        assertEq(market.creditOf(contributors[1]), 0);
        vm.expectEmit(address(market));
        emit Withdrawn(contributors[2], stranger, 20e6);
        vm.prank(contributors[2]);
        assertEq(market.withdrawTo(stranger), 20e6);
        assertEq(token.balanceOf(stranger), 20e6);
        _assertSolvent();
    }

    function test_withdraw_reverts() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NothingToWithdraw.selector, stranger));
        market.withdraw();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NothingToWithdraw.selector, stranger));
        market.withdrawTo(stranger);
        vm.prank(stranger);
        vm.expectRevert(IDataMarket.ZeroAddress.selector);
        market.withdrawTo(address(0));
    }

    // ─────────────────────────────────────────────────────────────────────────────
    // Vault
    // ─────────────────────────────────────────────────────────────────────────────

    function _vault() internal returns (ModelRevenueVault v) {
        uint256 id = _consentedListing();
        uint256 lic = _buy(id, TRAIN, RESEARCH);
        _registerModel(DIGEST, _roots(market.getListing(id).root), 0);
        (address vault,) = _royalty(DIGEST, _ids(lic));
        v = ModelRevenueVault(vault);
    }

    function test_vault_accessControl() public {
        ModelRevenueVault v = _vault();
        assertEq(address(v.token()), address(token));
        assertEq(address(v.identityRegistry()), address(identity));
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IModelRevenueVault.NotMarket.selector, stranger));
        v.pull(1);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IModelRevenueVault.NotMarket.selector, stranger));
        v.initialize(DIGEST, address(token), address(identity), "");
        vm.prank(address(market));
        vm.expectRevert(IModelRevenueVault.AlreadyInitialized.selector);
        v.initialize(DIGEST, address(token), address(identity), "");
        ModelRevenueVault impl = ModelRevenueVault(market.vaultImplementation());
        vm.prank(address(market));
        vm.expectRevert(IModelRevenueVault.AlreadyInitialized.selector);
        impl.initialize(DIGEST, address(token), address(identity), "");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IModelRevenueVault.NotBeneficiary.selector, stranger));
        v.setAgentURI("data:evil");
    }

    function test_vault_setAgentURI_byBeneficiary() public {
        ModelRevenueVault v = _vault();
        uint256 agentId = v.agentId();
        vm.expectEmit(address(v));
        emit AgentURISet(agentId, "ipfs://card");
        vm.prank(beneficiary);
        v.setAgentURI("ipfs://card");
        assertEq(identity.tokenURI(agentId), "ipfs://card");
    }

    function test_extension_directCallsTouchNothing() public {
        DataMarketBase ext = DataMarketBase(market.royaltyExtension());
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.UnknownModelRoyalty.selector, DIGEST));
        IDataMarket(address(ext)).routeRevenue(DIGEST);
        assertEq(IDataMarket(address(ext)).getModelRoyalty(DIGEST).vault, address(0));
    }

    function test_unknownIdsReadAsZero() public view {
        assertEq(market.getListing(9).root, bytes32(0));
        assertEq(market.getLicence(9).listingId, 0);
        assertEq(market.holderOf(9), address(0));
        assertEq(market.getContributors(9).length, 0);
        assertEq(market.getModelRoyalty(DIGEST).vault, address(0));
        assertEq(market.royaltyPaidTo(9, 0), 0);
        assertEq(market.listingOfRoot(DIGEST), 0);
    }

    function test_quote_revertsUnknownListing() public {
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.UnknownListing.selector, 3));
        market.quote(3, ACCESS, RESEARCH);
    }

    function test_computeJobStatus_enumValues() public pure {
        assertEq(uint8(IComputeMarket.JobStatus.Open), 1);
        assertEq(uint8(IComputeMarket.JobStatus.Assigned), 2);
    }
}
