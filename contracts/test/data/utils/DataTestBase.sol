// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {ComputeMarket} from "../../../src/compute/ComputeMarket.sol";
import {IComputeMarket} from "../../../src/compute/interfaces/IComputeMarket.sol";
import {DataLicence} from "../../../src/data/DataLicence.sol";
import {DataMarket} from "../../../src/data/DataMarket.sol";
import {IDataMarket, IModelRevenueVault} from "../../../src/data/interfaces/IDataMarket.sol";
import {IdentityRegistry} from "../../../src/identity/IdentityRegistry.sol";
import {ValidationRegistry} from "../../../src/identity/ValidationRegistry.sol";
import {SettlementToken} from "../../../src/pay/SettlementToken.sol";
import {ProvenanceRegistry} from "../../../src/provenance/ProvenanceRegistry.sol";
import {IProvenanceRegistry} from "../../../src/provenance/interfaces/IProvenanceRegistry.sol";

/// @dev A minimal ERC-1271 contract wallet: valid iff its key signed the hash.
contract DataTestWallet is IERC1271 {
    address public immutable key;

    constructor(address key_) {
        key = key_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == key ? IERC1271.isValidSignature.selector : bytes4(0);
    }
}

/// @notice Deploys the whole stack the data market reads (identity, validation, compute market, provenance, token)
///         and the market itself, with helpers for datasets, listings, consents, licences, jobs and models.
abstract contract DataTestBase is Test {
    SettlementToken internal token;
    IdentityRegistry internal identity;
    ValidationRegistry internal validation;
    ComputeMarket internal compute;
    ProvenanceRegistry internal prov;
    DataMarket internal market;
    DataLicence internal licence;

    address internal owner = makeAddr("owner");
    address internal treasury = makeAddr("treasury");
    address internal seller = makeAddr("seller");
    address internal buyer;
    uint256 internal buyerKey;
    address internal stranger = makeAddr("stranger");
    address internal beneficiary = makeAddr("beneficiary");
    address internal operator = makeAddr("operator");
    address internal payer = makeAddr("payer");

    address[] internal contributors;
    uint256[] internal contributorKeys;

    uint256 internal trainerAgent; // owned by `buyer`
    uint256 internal providerId; // operated by `operator`

    uint32 internal constant RESEARCH = 1;
    uint32 internal constant CLINICAL = 2;
    uint32 internal constant PUBLIC_HEALTH = 4;
    uint32 internal constant TRAINING = uint32(1 << 31);
    uint32 internal constant COMMERCIAL = uint32(1 << 30);

    uint96 internal constant ACCESS_PRICE = 100e6;
    uint96 internal constant TRAINING_PRICE = 300e6;
    uint16 internal constant ROYALTY = 1_000;

    bytes32 internal constant CPU = "cpu";

    uint256 internal rootNonce;

    function _deployData() internal {
        vm.warp(1_760_000_000);
        vm.roll(1_000);
        token = new SettlementToken(address(this), false);
        identity = new IdentityRegistry();
        validation = new ValidationRegistry(address(identity));
        compute = new ComputeMarket(
            address(identity),
            address(validation),
            address(token),
            IComputeMarket.Config({
                minStake: 100e6,
                slashAmount: 50e6,
                challengeBond: 10e6,
                unstakeCooldown: 1 days,
                heartbeatTTL: 300,
                challengeWindow: 60,
                resolutionWindow: 600,
                rewardShareBps: 5_000
            }),
            treasury,
            owner,
            "data:compute"
        );
        prov = new ProvenanceRegistry(address(identity));
        market = new DataMarket(address(identity), address(prov), address(compute), address(token));
        licence = DataLicence(market.licences());

        (buyer, buyerKey) = makeAddrAndKey("buyer");
        for (uint256 i; i < 3; ++i) {
            (address a, uint256 k) = makeAddrAndKey(string.concat("contributor", vm.toString(i)));
            contributors.push(a);
            contributorKeys.push(k);
        }
        vm.prank(buyer);
        trainerAgent = identity.register("data:trainer");
        // a compute provider, registered, staked and live
        vm.prank(operator);
        providerId = identity.register();
        vm.prank(operator);
        compute.register(
            providerId,
            IComputeMarket.Resources({deviceKind: CPU, region: "eu", deviceCount: 4, memoryMB: 8_192, pricePerUnit: 1e6})
        );
        token.mint(operator, 1_000e6);
        vm.startPrank(operator);
        token.approve(address(compute), type(uint256).max);
        compute.stake(providerId, 1_000e6);
        vm.stopPrank();
        _fund(buyer, 1_000_000e6);
    }

    function _fund(address to, uint256 amount) internal {
        token.mint(to, amount);
        vm.prank(to);
        token.approve(address(market), type(uint256).max);
        vm.prank(to);
        token.approve(address(compute), type(uint256).max);
    }

    // ─── datasets and listings ───

    function _dataset(address registrant, bytes32 parent) internal returns (bytes32 root) {
        root = keccak256(abi.encode("dataset", ++rootNonce));
        vm.prank(registrant);
        prov.registerDataset("patients", root, parent, 10, 1_000, "data:manifest");
    }

    function _terms() internal pure returns (IDataMarket.Terms memory t) {
        t.accessPrice = ACCESS_PRICE;
        t.trainingPrice = TRAINING_PRICE;
        t.royaltyBps = ROYALTY;
        t.trainingAllowed = true;
        t.commercialUse = true; // a model royalty needs commercial licences
        t.attribution = true;
        t.computeOnly = false;
        t.purposes = RESEARCH | PUBLIC_HEALTH;
        t.expiry = 0;
        t.licenceDuration = 30 days;
        t.termsDigest = keccak256("licence text");
    }

    function _contribs(uint16[] memory shares) internal view returns (IDataMarket.Contributor[] memory cs) {
        cs = new IDataMarket.Contributor[](shares.length);
        for (uint256 i; i < shares.length; ++i) {
            cs[i] = IDataMarket.Contributor({
                account: contributors[i], shareBps: shares[i], recordsRoot: keccak256(abi.encode("records", i))
            });
        }
    }

    function _shares3() internal pure returns (uint16[] memory s) {
        s = new uint16[](3);
        s[0] = 5_000;
        s[1] = 3_000;
        s[2] = 2_000;
    }

    function _params(bytes32 root, IDataMarket.Contributor[] memory cs)
        internal
        pure
        returns (IDataMarket.PublishParams memory p)
    {
        p.root = root;
        p.terms = _terms();
        p.contributors = cs;
    }

    function _publish(IDataMarket.PublishParams memory p) internal returns (uint256 id) {
        vm.prank(seller);
        id = market.publish(p);
    }

    /// @dev A listing with the 3 default contributors (50/30/20 %), none consenting yet.
    function _listing() internal returns (uint256 id) {
        return _publish(_params(_dataset(seller, bytes32(0)), _contribs(_shares3())));
    }

    function _consent(uint256 listingId, uint256 index, uint32 scope) internal {
        vm.prank(contributors[index]);
        market.giveConsent(listingId, keccak256(abi.encode("consent form", index)), scope);
    }

    /// @dev A listing whose 3 contributors consent to research + public health + training + commercial use.
    function _consentedListing() internal returns (uint256 id) {
        id = _listing();
        for (uint256 i; i < 3; ++i) {
            _consent(id, i, RESEARCH | PUBLIC_HEALTH | TRAINING | COMMERCIAL);
        }
    }

    function _buy(uint256 listingId, IDataMarket.LicenceKind kind, uint32 purposes) internal returns (uint256 id) {
        (uint256 price,, uint32 epoch) = market.quote(listingId, kind, purposes);
        vm.prank(buyer);
        id = market.buy(listingId, kind, purposes, price, epoch);
    }

    // ─── compute jobs ───

    function _spec(bool direct) internal view returns (IComputeMarket.JobSpec memory s) {
        s.workloadDigest = keccak256("train");
        s.inputDigest = keccak256("machina-data");
        s.workloadURI = "data:workload";
        s.inputURI = "data:input";
        s.needs = IComputeMarket.Needs({deviceKind: CPU, minMemoryMB: 1_024, region: bytes32(0)});
        s.maxPricePerUnit = 5e6;
        s.units = 1;
        s.deadline = uint40(block.timestamp + 1_000);
        s.replicas = 1;
        s.mode = IComputeMarket.Mode.Optimistic;
        s.direct = direct;
    }

    /// @dev A direct job of `buyer` offered to the provider.
    function _offeredJob() internal returns (uint256 jobId) {
        vm.prank(buyer);
        jobId = compute.postJob(_spec(true));
        vm.prank(buyer);
        compute.offer(jobId, providerId, 2e6);
    }

    // ─── models ───

    function _modelInput(bytes32 digest, bytes32[] memory roots, uint256 jobId)
        internal
        view
        returns (IProvenanceRegistry.ModelInput memory m)
    {
        m.weightsDigest = digest;
        m.trainerAgentId = trainerAgent;
        m.configDigest = keccak256("config");
        m.metrics = '{"accuracy":0.9}';
        m.metricsDigest = keccak256(bytes(m.metrics));
        m.computeJobId = jobId;
        m.datasetRoots = roots;
        m.name = "risk-model";
        m.uri = "data:card";
    }

    function _registerModel(bytes32 digest, bytes32[] memory roots, uint256 jobId) internal {
        IProvenanceRegistry.ModelInput memory m = _modelInput(digest, roots, jobId);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(buyerKey, prov.modelDigest(m));
        prov.registerModel(m, buyer, abi.encodePacked(r, s, v));
    }

    function _roots(bytes32 a) internal pure returns (bytes32[] memory r) {
        r = new bytes32[](1);
        r[0] = a;
    }

    function _roots(bytes32 a, bytes32 b) internal pure returns (bytes32[] memory r) {
        r = new bytes32[](2);
        r[0] = a;
        r[1] = b;
    }

    function _ids(uint256 a) internal pure returns (uint256[] memory r) {
        r = new uint256[](1);
        r[0] = a;
    }

    function _ids(uint256 a, uint256 b) internal pure returns (uint256[] memory r) {
        r = new uint256[](2);
        r[0] = a;
        r[1] = b;
    }

    function _royalty(bytes32 digest, uint256[] memory licenceIds) internal returns (address vault, uint256 agentId) {
        vm.prank(buyer);
        (vault, agentId) = market.registerModelRoyalty(digest, licenceIds, beneficiary, "data:serving-agent");
    }

    /// @dev Pays `amount` into a model's vault (as an x402 settlement would).
    function _payVault(bytes32 digest, uint256 amount) internal {
        token.mint(market.getModelRoyalty(digest).vault, amount);
    }

    function _assertSolvent() internal view {
        assertEq(token.balanceOf(address(market)), market.totalCredits(), "balance == totalCredits");
    }

    function _signConsent(uint256 key, uint256 listingId, address account, bytes32 doc, uint32 scope, uint256 deadline)
        internal
        view
        returns (bytes memory)
    {
        bytes32 structHash = keccak256(abi.encode(market.CONSENT_TYPEHASH(), listingId, account, doc, scope, deadline));
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Machina Data Market"),
                keccak256("1"),
                block.chainid,
                address(market)
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
        return abi.encodePacked(r, s, v);
    }
}
