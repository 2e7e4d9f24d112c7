// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IComputeMarket} from "../../src/compute/interfaces/IComputeMarket.sol";
import {IDataMarket} from "../../src/data/interfaces/IDataMarket.sol";
import {IProvenanceRegistry} from "../../src/provenance/interfaces/IProvenanceRegistry.sol";
import {DataTestBase} from "./utils/DataTestBase.sol";

/// @notice Regression tests for the findings of review 7 (its proof-of-concept attacks now fail).
contract DataMarketReviewTest is DataTestBase {
    IDataMarket.LicenceKind internal constant ACCESS = IDataMarket.LicenceKind.Access;
    IDataMarket.LicenceKind internal constant TRAIN = IDataMarket.LicenceKind.Training;
    bytes32 internal constant DIGEST = keccak256("weights");
    bytes32 internal constant DIGEST2 = keccak256("weights-ft");

    function setUp() public {
        _deployData();
    }

    function _registerFineTune(bytes32 digest, bytes32 base, bytes32[] memory roots) internal {
        IProvenanceRegistry.ModelInput memory m = _modelInput(digest, roots, 0);
        m.baseModel = base;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(buyerKey, prov.modelDigest(m));
        prov.registerModel(m, buyer, abi.encodePacked(r, s, v));
    }

    function _expectRoyaltyRevert(bytes32 digest, uint256[] memory lics, bytes memory err) internal {
        vm.prank(buyer);
        vm.expectRevert(err);
        market.registerModelRoyalty(digest, lics, beneficiary, "data:serving-agent");
    }

    /// @dev A chain of `n` unlisted datasets registered by the buyer below `top`; returns the lowest.
    function _derivedChain(bytes32 top, uint256 n) internal returns (bytes32 root) {
        root = top;
        for (uint256 i; i < n; ++i) {
            root = _dataset(buyer, root);
        }
    }

    // ─── F1: a derived, unlisted dataset does not hide its listed ancestor ───

    function test_derivedDataset_needsTheListedAncestorsLicence() public {
        uint256 id = _consentedListing();
        bytes32 x = market.getListing(id).root;
        uint256 lic = _buy(id, TRAIN, RESEARCH);
        bytes32 y = _dataset(buyer, x); // "cleaned" copy of X, never listed
        _registerModel(DIGEST, _roots(y), 0);
        _expectRoyaltyRevert(DIGEST, new uint256[](0), abi.encodeWithSelector(IDataMarket.MissingLicence.selector, DIGEST, x));
        _royalty(DIGEST, _ids(lic));
        IDataMarket.ModelRoyalty memory r = market.getModelRoyalty(DIGEST);
        assertEq(r.listingIds.length, 1);
        assertEq(r.listingIds[0], id);
        _payVault(DIGEST, 1_000e6);
        market.routeRevenue(DIGEST);
        assertEq(market.getListing(id).royalties, 100e6, "X earns its 10 %");
        assertEq(market.creditOf(beneficiary), 900e6);
        _assertSolvent();
    }

    function test_derivedDataset_walksUpToEightParents() public {
        uint256 id = _consentedListing();
        bytes32 x = market.getListing(id).root;
        // 8 parents up: still in the lineage
        _registerModel(DIGEST, _roots(_derivedChain(x, 8)), 0);
        _expectRoyaltyRevert(DIGEST, new uint256[](0), abi.encodeWithSelector(IDataMarket.MissingLicence.selector, DIGEST, x));
        _royalty(DIGEST, _ids(_buy(id, TRAIN, RESEARCH)));
        // 9 parents up: beyond the bound (documented)
        _registerModel(DIGEST2, _roots(_derivedChain(x, 9)), 0);
        _royalty(DIGEST2, new uint256[](0));
        assertEq(market.getModelRoyalty(DIGEST2).listingIds.length, 0);
    }

    function test_derivedDataset_listedRootNeedsItsOwnLicence() public {
        uint256 v1 = _consentedListing();
        bytes32 x = market.getListing(v1).root;
        IDataMarket.PublishParams memory p = _params(_dataset(seller, x), _contribs(_shares3()));
        p.parentId = v1;
        uint256 v2 = _publish(p);
        for (uint256 i; i < 3; ++i) {
            _consent(v2, i, RESEARCH | TRAINING | COMMERCIAL);
        }
        uint256 licV1 = _buy(v1, TRAIN, RESEARCH);
        uint256 licV2 = _buy(v2, TRAIN, RESEARCH);
        _registerModel(DIGEST, _roots(p.root), 0);
        _expectRoyaltyRevert(DIGEST, _ids(licV1), abi.encodeWithSelector(IDataMarket.LicenceNotInLineage.selector, licV1));
        _royalty(DIGEST, _ids(licV2));
        assertEq(market.getModelRoyalty(DIGEST).listingIds[0], v2);
    }

    // ─── F2: a fine-tune's lineage includes its base models' datasets ───

    function test_fineTune_needsTheBaseModelsLicences() public {
        uint256 id = _consentedListing();
        bytes32 x = market.getListing(id).root;
        uint256 lic = _buy(id, TRAIN, RESEARCH);
        _registerModel(DIGEST, _roots(x), 0);
        _royalty(DIGEST, _ids(lic));
        bytes32 z = _dataset(buyer, bytes32(0)); // unlisted fine-tuning data
        _registerFineTune(DIGEST2, DIGEST, _roots(z));
        _expectRoyaltyRevert(DIGEST2, new uint256[](0), abi.encodeWithSelector(IDataMarket.MissingLicence.selector, DIGEST2, x));
        _expectRoyaltyRevert(DIGEST2, _ids(lic), abi.encodeWithSelector(IDataMarket.LicenceAlreadyUsed.selector, lic, DIGEST));
        uint256 lic2 = _buy(id, TRAIN, RESEARCH);
        _royalty(DIGEST2, _ids(lic2));
        _payVault(DIGEST2, 1_000e6);
        market.routeRevenue(DIGEST2);
        assertEq(market.getListing(id).royalties, 100e6);
        assertEq(market.creditOf(beneficiary), 900e6);
    }

    function test_fineTune_baseChainBoundedAtFourModels() public {
        uint256 id = _consentedListing();
        bytes32 x = market.getListing(id).root;
        bytes32 z = _dataset(buyer, bytes32(0));
        _registerModel(keccak256("m0"), _roots(x), 0);
        bytes32 prev = keccak256("m0");
        for (uint256 i = 1; i <= 5; ++i) {
            bytes32 d = keccak256(abi.encode("m", i));
            _registerFineTune(d, prev, _roots(z));
            prev = d;
        }
        // m4 is 4 models below m0: X is still in its lineage
        bytes32 m4 = keccak256(abi.encode("m", uint256(4)));
        _expectRoyaltyRevert(m4, new uint256[](0), abi.encodeWithSelector(IDataMarket.MissingLicence.selector, m4, x));
        // m5 is 5 below: beyond the bound (documented)
        vm.prank(buyer);
        market.registerModelRoyalty(prev, new uint256[](0), beneficiary, "");
    }

    // ─── F3: a model royalty earns revenue, so its licences must be commercial ───

    function test_nonCommercialLicence_cannotEarnRevenue() public {
        IDataMarket.PublishParams memory p = _params(_dataset(seller, bytes32(0)), _contribs(_shares3()));
        p.terms.commercialUse = false;
        uint256 id = _publish(p);
        for (uint256 i; i < 3; ++i) {
            _consent(id, i, RESEARCH | TRAINING); // no SCOPE_COMMERCIAL
        }
        uint256 lic = _buy(id, TRAIN, RESEARCH);
        assertFalse(market.getLicence(lic).commercial);
        _registerModel(DIGEST, _roots(p.root), 0);
        _expectRoyaltyRevert(DIGEST, _ids(lic), abi.encodeWithSelector(IDataMarket.LicenceNotCommercial.selector, lic));
    }

    // ─── F4: a terms change moves the epoch a buy checks ───

    function test_setTerms_frontRunRevertsTheBuy() public {
        uint256 id = _consentedListing();
        (uint256 price,, uint32 epoch) = market.quote(id, TRAIN, RESEARCH);
        IDataMarket.Terms memory t = _terms();
        t.licenceDuration = 1;
        t.royaltyBps = 10_000;
        vm.prank(seller);
        market.setTerms(id, t);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.ConsentChanged.selector, id, epoch, epoch + 1));
        market.buy(id, TRAIN, RESEARCH, price, epoch);
        // a fresh quote sees the new terms
        (,, uint32 now_) = market.quote(id, TRAIN, RESEARCH);
        assertEq(now_, epoch + 1);
        vm.prank(buyer);
        uint256 lic = market.buy(id, TRAIN, RESEARCH, price, now_);
        assertEq(market.getLicence(lic).royaltyBps, 10_000);
    }

    // ─── F5: a compute-only listing names its providers ───

    function test_computeOnly_needsAllowedProviders() public {
        IDataMarket.PublishParams memory p = _params(_dataset(seller, bytes32(0)), _contribs(_shares3()));
        p.terms.computeOnly = true;
        bytes memory err = abi.encodeWithSelector(
            IDataMarket.InvalidTerms.selector, "allowedProviders", "a compute-only listing must name its providers"
        );
        vm.prank(seller);
        vm.expectRevert(err);
        market.publish(p);
        p.terms.allowedProviders = _ids(providerId);
        uint256 id = _publish(p);
        IDataMarket.Terms memory t = p.terms;
        t.allowedProviders = new uint256[](0);
        vm.prank(seller);
        vm.expectRevert(err);
        market.setTerms(id, t);
    }

    function test_computeOnly_buyerCannotBindToItsOwnProvider() public {
        IDataMarket.PublishParams memory p = _params(_dataset(seller, bytes32(0)), _contribs(_shares3()));
        p.terms.computeOnly = true;
        p.terms.allowedProviders = _ids(providerId);
        uint256 id = _publish(p);
        for (uint256 i; i < 3; ++i) {
            _consent(id, i, RESEARCH | TRAINING | COMMERCIAL);
        }
        uint256 lic = _buy(id, TRAIN, RESEARCH);
        vm.startPrank(buyer);
        uint256 own = identity.register();
        compute.register(
            own,
            IComputeMarket.Resources({deviceKind: CPU, region: "eu", deviceCount: 1, memoryMB: 8_192, pricePerUnit: 1e6})
        );
        compute.stake(own, 100e6);
        uint256 jobId = compute.postJob(_spec(true));
        compute.offer(jobId, own, 2e6);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.ProviderNotAllowed.selector, id, own));
        market.bindTrainingRun(lic, jobId, own);
        vm.stopPrank();
    }

    // ─── F11: only the parent listing's manager publishes its next version ───

    function test_newVersion_needsTheParentsOwner() public {
        uint256 v1 = _consentedListing();
        bytes32 child = _dataset(stranger, market.getListing(v1).root);
        IDataMarket.PublishParams memory p = _params(child, _contribs(_shares3()));
        p.parentId = v1;
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NotListingOwner.selector, v1, stranger));
        market.publish(p);
    }

    function test_newVersion_agentOwnedParent_byTheAgentsCurrentOwner() public {
        vm.prank(seller);
        uint256 agent = identity.register("data:seller");
        IDataMarket.PublishParams memory p = _params(_dataset(seller, bytes32(0)), _contribs(_shares3()));
        p.agentOwned = true;
        p.ownerAgentId = agent;
        uint256 v1 = _publish(p);
        address heir = makeAddr("heir");
        vm.prank(seller);
        identity.transferFrom(seller, heir, agent);
        IDataMarket.PublishParams memory q = _params(_dataset(seller, p.root), _contribs(_shares3()));
        q.parentId = v1;
        vm.prank(seller); // the registrant, but no longer the agent's owner
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.NotListingOwner.selector, v1, seller));
        market.publish(q);
        q.root = _dataset(heir, p.root);
        vm.prank(heir);
        uint256 v2 = market.publish(q);
        assertEq(market.getListing(v2).parentId, v1);
    }

    // ─── F7: the revoked-in-parent rule covers every listed ancestor ───

    function test_revokedInParent_throughAnUnlistedIntermediate() public {
        uint256 v1 = _consentedListing();
        vm.prank(contributors[1]);
        market.revokeConsent(v1);
        bytes32 mid = _dataset(seller, market.getListing(v1).root); // registered, never listed
        IDataMarket.PublishParams memory p = _params(_dataset(seller, mid), _contribs(_shares3()));
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.RevokedInParent.selector, contributors[1]));
        market.publish(p);
    }

    function test_revokedInParent_inTheGrandparent() public {
        uint256 v1 = _consentedListing();
        vm.prank(contributors[2]);
        market.revokeConsent(v1);
        // v2 leaves contributor 2 out
        uint16[] memory two = new uint16[](2);
        two[0] = 6_000;
        two[1] = 4_000;
        IDataMarket.PublishParams memory p2 = _params(_dataset(seller, market.getListing(v1).root), _contribs(two));
        p2.parentId = v1;
        uint256 v2 = _publish(p2);
        // v3 brings contributor 2 back
        IDataMarket.PublishParams memory p3 = _params(_dataset(seller, p2.root), _contribs(_shares3()));
        p3.parentId = v2;
        vm.prank(seller);
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.RevokedInParent.selector, contributors[2]));
        market.publish(p3);
        p3.contributors = _contribs(two);
        assertEq(_publish(p3), v2 + 1);
    }

    // ─── F9: a model's lineage has at most MAX_MODEL_DATASETS listings ───

    function test_registerModelRoyalty_revertsTooManyDatasets() public {
        assertEq(market.MAX_MODEL_DATASETS(), 8);
        bytes32[] memory roots = new bytes32[](9);
        uint256[] memory lics = new uint256[](9);
        for (uint256 j; j < 9; ++j) {
            uint256 id = _consentedListing();
            roots[j] = market.getListing(id).root;
            lics[j] = _buy(id, TRAIN, RESEARCH);
        }
        _registerModel(DIGEST, roots, 0);
        _expectRoyaltyRevert(DIGEST, lics, abi.encodeWithSelector(IDataMarket.TooManyDatasets.selector, 9, 8));
        // 8 are fine (a root given twice counts once)
        roots[8] = roots[0];
        _registerModel(DIGEST2, roots, 0);
        uint256[] memory eight = new uint256[](8);
        for (uint256 j; j < 8; ++j) {
            eight[j] = lics[j];
        }
        vm.prank(buyer);
        market.registerModelRoyalty(DIGEST2, eight, beneficiary, "");
        assertEq(market.getModelRoyalty(DIGEST2).listingIds.length, 8);
    }

    // ─── held dust across two models sharing a listing, the beneficiary being that listing's contributor 0 ───

    function testFuzz_heldSharedAccount(uint256 seed, uint16[6] memory amts) public {
        IDataMarket.Contributor[] memory cs = new IDataMarket.Contributor[](3);
        cs[0] = IDataMarket.Contributor(beneficiary, 2, bytes32(0));
        cs[1] = IDataMarket.Contributor(contributors[1], 4_999, bytes32(0));
        cs[2] = IDataMarket.Contributor(contributors[2], 4_999, bytes32(0));
        IDataMarket.PublishParams memory p = _params(_dataset(seller, bytes32(0)), cs);
        p.terms.royaltyBps = uint16(1 + seed % 4_999);
        uint256 id = _publish(p);
        vm.prank(contributors[1]);
        market.giveConsent(id, bytes32(0), RESEARCH | TRAINING | COMMERCIAL);
        uint256 l1 = _buy(id, TRAIN, RESEARCH);
        uint256 l2 = _buy(id, TRAIN, RESEARCH);
        _registerModel(DIGEST, _roots(p.root), 0);
        _registerModel(DIGEST2, _roots(p.root), 0);
        _royalty(DIGEST, _ids(l1));
        _royalty(DIGEST2, _ids(l2));
        for (uint256 s; s < amts.length; ++s) {
            bytes32 d = s % 2 == 0 ? DIGEST : DIGEST2;
            _payVault(d, amts[s] % 97);
            market.routeRevenue(d);
            if (market.withdrawableOf(beneficiary) != 0 && s % 3 == 2) {
                vm.prank(beneficiary);
                market.withdraw();
            }
            _assertSolvent();
        }
    }
}
