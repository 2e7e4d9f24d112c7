// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IProvenanceRegistry} from "../../src/provenance/interfaces/IProvenanceRegistry.sol";
import {ProvenanceRegistry} from "../../src/provenance/ProvenanceRegistry.sol";
import {ProvenanceTestBase, ProvTestWallet} from "./utils/ProvenanceTestBase.sol";

contract ProvenanceRegistryTest is ProvenanceTestBase {
    bytes32 internal constant V1 = keccak256("dataset v1");
    bytes32 internal constant V2 = keccak256("dataset v2");
    bytes32 internal constant W = keccak256("weights");

    function setUp() public {
        _setUpProvenance();
    }

    // ------------------------------------------------------------------ construction

    function test_constructor() public view {
        assertEq(prov.identityRegistry(), address(identity));
        assertEq(prov.MODEL_TYPEHASH(), MODEL_TYPEHASH);
        assertEq(prov.domainSeparator(), _domainSeparator());
        (, string memory name, string memory version, uint256 chainId, address verifying,,) = prov.eip712Domain();
        assertEq(name, "Machina Provenance");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifying, address(prov));
    }

    function test_constructor_revertsOnZero() public {
        vm.expectRevert(ProvenanceRegistry.ZeroAddress.selector);
        new ProvenanceRegistry(address(0));
    }

    // ------------------------------------------------------------------ datasets

    function test_registerDataset_firstVersion() public {
        vm.expectEmit(address(prov));
        emit DatasetRegistered(V1, bytes32(0), relayer, 1, 10_000, 5 << 30, "imagenet-mini", "https://n/m");
        vm.prank(relayer);
        uint32 v = prov.registerDataset("imagenet-mini", V1, bytes32(0), 10_000, 5 << 30, "https://n/m");
        assertEq(v, 1);
        assertTrue(prov.isDataset(V1));
        IProvenanceRegistry.DatasetVersion memory d = prov.datasetOf(V1);
        assertEq(d.parent, bytes32(0));
        assertEq(d.registrant, relayer);
        assertEq(d.timestamp, uint48(block.timestamp));
        assertEq(d.version, 1);
        assertEq(d.fileCount, 10_000);
        assertEq(d.totalBytes, 5 << 30);
        assertEq(d.name, "imagenet-mini");
        assertEq(d.uri, "https://n/m");
    }

    function test_registerDataset_lineage() public {
        _dataset("d", V1, bytes32(0));
        vm.expectEmit(address(prov));
        emit DatasetRegistered(V2, V1, address(this), 2, 3, 3_000, "d", "http://node/v1/datasets/x/manifest");
        assertEq(_dataset("d", V2, V1), 2);
        bytes32 v3 = keccak256("v3");
        assertEq(prov.registerDataset("d-fork", v3, V2, 1, 0, ""), 3);
        assertEq(prov.datasetOf(v3).parent, V2);
        assertEq(prov.datasetOf(v3).uri, "");
        // Branches: a second child of v1 is also version 2.
        assertEq(_dataset("d", keccak256("v2b"), V1), 2);
    }

    function test_registerDataset_longStrings() public {
        string memory longName = "a dataset name that is much longer than thirty-one bytes, stored over several slots";
        prov.registerDataset(longName, V1, bytes32(0), 1, 1, longName);
        assertEq(prov.datasetOf(V1).name, longName);
        assertEq(prov.datasetOf(V1).uri, longName);
    }

    function test_registerDataset_revertsEmptyRoot() public {
        vm.expectRevert(IProvenanceRegistry.EmptyRoot.selector);
        prov.registerDataset("d", bytes32(0), bytes32(0), 1, 1, "");
    }

    function test_registerDataset_revertsEmptyName() public {
        vm.expectRevert(IProvenanceRegistry.EmptyName.selector);
        prov.registerDataset("", V1, bytes32(0), 1, 1, "");
    }

    function test_registerDataset_revertsEmptyDataset() public {
        vm.expectRevert(IProvenanceRegistry.EmptyDataset.selector);
        prov.registerDataset("d", V1, bytes32(0), 0, 0, "");
    }

    function test_registerDataset_revertsAlreadyRegistered() public {
        _dataset("d", V1, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(IProvenanceRegistry.DatasetAlreadyRegistered.selector, V1));
        vm.prank(mallory);
        prov.registerDataset("evil", V1, bytes32(0), 1, 1, "");
        assertEq(prov.datasetOf(V1).registrant, address(this));
    }

    function test_registerDataset_revertsUnknownParent() public {
        vm.expectRevert(abi.encodeWithSelector(IProvenanceRegistry.UnknownParent.selector, V1));
        prov.registerDataset("d", V2, V1, 1, 1, "");
        // Not even itself.
        vm.expectRevert(abi.encodeWithSelector(IProvenanceRegistry.UnknownParent.selector, V2));
        prov.registerDataset("d", V2, V2, 1, 1, "");
    }

    function test_datasetOf_unknownIsZero() public view {
        IProvenanceRegistry.DatasetVersion memory d = prov.datasetOf(V1);
        assertEq(d.version, 0);
        assertEq(d.timestamp, 0);
        assertFalse(prov.isDataset(V1));
    }

    // ------------------------------------------------------------------ models

    function _registered() internal returns (IProvenanceRegistry.ModelInput memory m) {
        _dataset("d", V1, bytes32(0));
        m = _model(W, _one(V1));
    }

    function test_modelDigest_matchesIndependentEncoding() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        m.baseModel = keccak256("base");
        m.computeJobId = 7;
        assertEq(prov.modelDigest(m), _modelDigest(m));
    }

    function test_registerModel_signedByOwner_relayed() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        m.computeJobId = 12;
        bytes memory sig = _sign(trainerKey, _modelDigest(m));
        vm.expectEmit(address(prov));
        emit ModelRegistered(
            W, agentId, trainer, m.configDigest, m.metricsDigest, bytes32(0), 12, m.datasetRoots, m.name, METRICS, m.uri
        );
        vm.prank(relayer);
        prov.registerModel(m, trainer, sig);

        assertTrue(prov.isModel(W));
        IProvenanceRegistry.ModelRecord memory r = prov.modelOf(W);
        assertEq(r.trainerAgentId, agentId);
        assertEq(r.configDigest, m.configDigest);
        assertEq(r.metricsDigest, keccak256(bytes(METRICS)));
        assertEq(r.baseModel, bytes32(0));
        assertEq(r.computeJobId, 12);
        assertEq(r.signer, trainer);
        assertEq(r.registrant, relayer);
        assertEq(r.timestamp, uint48(block.timestamp));
        assertEq(r.datasetRoots.length, 1);
        assertEq(r.datasetRoots[0], V1);
        assertEq(r.name, "tiny-llm");
        assertEq(r.uri, "ipfs://model-card");
    }

    function test_registerModel_signedByAgentWallet_eoa() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        _setWalletEoa();
        prov.registerModel(m, walletKeyAddr, _sign(walletKey, _modelDigest(m)));
        assertEq(prov.modelOf(W).signer, walletKeyAddr);
    }

    function test_registerModel_signedByAgentWallet_erc1271() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        ProvTestWallet account = _setWallet1271();
        prov.registerModel(m, address(account), _sign(walletKey, _modelDigest(m)));
        assertEq(prov.modelOf(W).signer, address(account));
    }

    function test_registerModel_erc1271_rejectsOtherKey() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        ProvTestWallet account = _setWallet1271();
        bytes memory sig = _sign(malloryKey, _modelDigest(m));
        vm.expectRevert(
            abi.encodeWithSelector(IProvenanceRegistry.InvalidTrainerSignature.selector, agentId, address(account))
        );
        prov.registerModel(m, address(account), sig);
    }

    function test_registerModel_erc1271Owner() public {
        // An agent owned by a contract account: the owner signs through ERC-1271.
        // ProvTestWallet has no onERC721Received: the EOA registers, then transfers (no safe-transfer check).
        ProvTestWallet account = new ProvTestWallet(walletKeyAddr);
        vm.prank(trainer);
        identity.transferFrom(trainer, address(account), agentId);
        IProvenanceRegistry.ModelInput memory m = _registered();
        prov.registerModel(m, address(account), _sign(walletKey, _modelDigest(m)));
        assertEq(prov.modelOf(W).signer, address(account));
    }

    function test_registerModel_withBaseModelAndSeveralDatasets() public {
        IProvenanceRegistry.ModelInput memory base = _registered();
        prov.registerModel(base, trainer, _sign(trainerKey, _modelDigest(base)));
        _dataset("d", V2, V1);
        bytes32[] memory roots = new bytes32[](2);
        roots[0] = V1;
        roots[1] = V2;
        IProvenanceRegistry.ModelInput memory m = _model(keccak256("fine-tuned"), roots);
        m.baseModel = W;
        prov.registerModel(m, trainer, _sign(trainerKey, _modelDigest(m)));
        IProvenanceRegistry.ModelRecord memory r = prov.modelOf(keccak256("fine-tuned"));
        assertEq(r.baseModel, W);
        assertEq(r.datasetRoots.length, 2);
        assertEq(r.datasetRoots[1], V2);
    }

    function test_registerModel_revertsEmptyRoot() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        m.weightsDigest = bytes32(0);
        vm.expectRevert(IProvenanceRegistry.EmptyRoot.selector);
        prov.registerModel(m, trainer, _sign(trainerKey, _modelDigest(m)));
    }

    function test_registerModel_revertsEmptyName() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        m.name = "";
        vm.expectRevert(IProvenanceRegistry.EmptyName.selector);
        prov.registerModel(m, trainer, _sign(trainerKey, _modelDigest(m)));
    }

    function test_registerModel_revertsNoDatasets() public {
        IProvenanceRegistry.ModelInput memory m = _model(W, new bytes32[](0));
        vm.expectRevert(IProvenanceRegistry.NoDatasets.selector);
        prov.registerModel(m, trainer, _sign(trainerKey, _modelDigest(m)));
    }

    function test_registerModel_revertsAlreadyRegistered() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        bytes memory sig = _sign(trainerKey, _modelDigest(m));
        prov.registerModel(m, trainer, sig);
        vm.expectRevert(abi.encodeWithSelector(IProvenanceRegistry.ModelAlreadyRegistered.selector, W));
        prov.registerModel(m, trainer, sig);
    }

    function test_registerModel_revertsUnknownDataset() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        bytes32[] memory roots = new bytes32[](2);
        roots[0] = V1;
        roots[1] = V2; // never registered
        m.datasetRoots = roots;
        vm.expectRevert(abi.encodeWithSelector(IProvenanceRegistry.UnknownDataset.selector, V2));
        prov.registerModel(m, trainer, _sign(trainerKey, _modelDigest(m)));
    }

    function test_registerModel_revertsUnknownBaseModel() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        m.baseModel = keccak256("nope");
        vm.expectRevert(abi.encodeWithSelector(IProvenanceRegistry.UnknownBaseModel.selector, m.baseModel));
        prov.registerModel(m, trainer, _sign(trainerKey, _modelDigest(m)));
        // Nor itself.
        m.baseModel = W;
        vm.expectRevert(abi.encodeWithSelector(IProvenanceRegistry.UnknownBaseModel.selector, W));
        prov.registerModel(m, trainer, _sign(trainerKey, _modelDigest(m)));
    }

    function test_registerModel_revertsMetricsDigestMismatch() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        m.metrics = '{"accuracy":0.99}'; // edited after signing the digest
        vm.expectRevert(
            abi.encodeWithSelector(
                IProvenanceRegistry.MetricsDigestMismatch.selector, m.metricsDigest, keccak256(bytes(m.metrics))
            )
        );
        prov.registerModel(m, trainer, _sign(trainerKey, _modelDigest(m)));
    }

    function test_registerModel_revertsUnknownAgent() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        m.trainerAgentId = 999;
        vm.expectRevert(abi.encodeWithSelector(IProvenanceRegistry.UnknownAgent.selector, 999));
        prov.registerModel(m, trainer, _sign(trainerKey, _modelDigest(m)));
    }

    function test_registerModel_revertsSignerNotOwnerNorWallet() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        // Mallory signs validly for herself, but she is not the agent.
        bytes memory sig = _sign(malloryKey, _modelDigest(m));
        vm.expectRevert(abi.encodeWithSelector(IProvenanceRegistry.InvalidTrainerSignature.selector, agentId, mallory));
        prov.registerModel(m, mallory, sig);
    }

    function test_registerModel_revertsSignatureByOtherKey() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        bytes memory sig = _sign(malloryKey, _modelDigest(m));
        vm.expectRevert(abi.encodeWithSelector(IProvenanceRegistry.InvalidTrainerSignature.selector, agentId, trainer));
        prov.registerModel(m, trainer, sig);
    }

    function test_registerModel_revertsSignatureOverOtherFields() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        bytes memory sig = _sign(trainerKey, _modelDigest(m));
        m.configDigest = keccak256("another config"); // any signed field changed
        vm.expectRevert(abi.encodeWithSelector(IProvenanceRegistry.InvalidTrainerSignature.selector, agentId, trainer));
        prov.registerModel(m, trainer, sig);
        m.configDigest = keccak256("config");
        m.uri = "ipfs://other";
        vm.expectRevert(abi.encodeWithSelector(IProvenanceRegistry.InvalidTrainerSignature.selector, agentId, trainer));
        prov.registerModel(m, trainer, sig);
    }

    function test_registerModel_revertsGarbageSignature() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        vm.expectRevert(abi.encodeWithSelector(IProvenanceRegistry.InvalidTrainerSignature.selector, agentId, trainer));
        prov.registerModel(m, trainer, hex"deadbeef");
    }

    function test_registerModel_revertsZeroSignerWhenNoWallet() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        vm.prank(trainer);
        identity.unsetAgentWallet(agentId); // getAgentWallet == 0
        assertEq(identity.getAgentWallet(agentId), address(0));
        vm.expectRevert(
            abi.encodeWithSelector(IProvenanceRegistry.InvalidTrainerSignature.selector, agentId, address(0))
        );
        prov.registerModel(m, address(0), "");
    }

    function test_registerModel_formerOwnerCannotSignAfterTransfer() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        vm.prank(trainer);
        identity.transferFrom(trainer, mallory, agentId);
        bytes memory sig = _sign(trainerKey, _modelDigest(m));
        vm.expectRevert(abi.encodeWithSelector(IProvenanceRegistry.InvalidTrainerSignature.selector, agentId, trainer));
        prov.registerModel(m, trainer, sig);
        // The new owner can.
        prov.registerModel(m, mallory, _sign(malloryKey, _modelDigest(m)));
    }

    function test_registerModel_signatureNotReplayableOnAnotherDeployment() public {
        IProvenanceRegistry.ModelInput memory m = _registered();
        bytes memory sig = _sign(trainerKey, _modelDigest(m));
        ProvenanceRegistry other = new ProvenanceRegistry(address(identity));
        other.registerDataset("d", V1, bytes32(0), 1, 1, "");
        vm.expectRevert(abi.encodeWithSelector(IProvenanceRegistry.InvalidTrainerSignature.selector, agentId, trainer));
        other.registerModel(m, trainer, sig);
    }

    function test_modelOf_unknownIsZero() public view {
        IProvenanceRegistry.ModelRecord memory r = prov.modelOf(W);
        assertEq(r.timestamp, 0);
        assertEq(r.datasetRoots.length, 0);
        assertFalse(prov.isModel(W));
    }

    // ------------------------------------------------------------------ fuzz

    function testFuzz_registerModel_onlyOwnerOrWalletKeys(uint256 key, bytes32 weights) public {
        key = bound(key, 1, SECP256K1_ORDER - 1);
        vm.assume(weights != bytes32(0));
        IProvenanceRegistry.ModelInput memory m = _registered();
        m.weightsDigest = weights;
        address signer = vm.addr(key);
        bytes memory sig = _sign(key, _modelDigest(m));
        if (signer != trainer) {
            vm.expectRevert(
                abi.encodeWithSelector(IProvenanceRegistry.InvalidTrainerSignature.selector, agentId, signer)
            );
        }
        prov.registerModel(m, signer, sig);
        assertEq(prov.isModel(weights), signer == trainer);
    }

    function testFuzz_registerDataset_versionIsChainLength(uint8 depth) public {
        uint256 n = bound(depth, 1, 40);
        bytes32 parent;
        for (uint256 i; i < n; ++i) {
            bytes32 root = keccak256(abi.encode("v", i));
            assertEq(prov.registerDataset("d", root, parent, 1, uint128(i), ""), i + 1);
            parent = root;
        }
        assertEq(prov.datasetOf(parent).version, n);
    }

    // ------------------------------------------------------------------ helpers

    function _setWalletEoa() internal {
        uint256 deadline = block.timestamp + 60;
        bytes memory proof = _sign(walletKey, _walletDigest(walletKeyAddr, deadline));
        vm.prank(trainer);
        identity.setAgentWallet(agentId, walletKeyAddr, deadline, proof);
        assertEq(identity.getAgentWallet(agentId), walletKeyAddr);
    }

    function _setWallet1271() internal returns (ProvTestWallet account) {
        account = new ProvTestWallet(walletKeyAddr);
        uint256 deadline = block.timestamp + 60;
        bytes memory proof = _sign(walletKey, _walletDigest(address(account), deadline));
        vm.prank(trainer);
        identity.setAgentWallet(agentId, address(account), deadline, proof);
        assertEq(identity.getAgentWallet(agentId), address(account));
    }

    function _walletDigest(address wallet, uint256 deadline) internal view returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(
                DOMAIN_TYPEHASH, keccak256("ERC8004IdentityRegistry"), keccak256("1"), block.chainid, address(identity)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)"),
                agentId,
                wallet,
                trainer,
                deadline
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }
}
